-- CreateTable
CREATE TABLE "TaskResult" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "args" JSONB,
    "status" TEXT NOT NULL,
    "result" JSONB,
    "errorType" TEXT,
    "errorMessage" TEXT,
    "errorStack" TEXT,
    "queue" TEXT,
    "worker" TEXT,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "doneAt" DATETIME,
    "runtimeMs" REAL,
    "owner" TEXT
);

-- CreateTable
CREATE TABLE "TaskOutbox" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "args" JSONB NOT NULL,
    "queue" TEXT NOT NULL,
    "priority" INTEGER,
    "runAt" DATETIME,
    "expires" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimedAt" DATETIME,
    "dispatchedAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "owner" TEXT
);

-- CreateTable
CREATE TABLE "PeriodicTask" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "args" JSONB NOT NULL,
    "queue" TEXT,
    "priority" INTEGER,
    "expireSeconds" INTEGER,
    "intervalId" INTEGER,
    "crontabId" INTEGER,
    "clockedId" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "oneOff" BOOLEAN NOT NULL DEFAULT false,
    "startTime" DATETIME,
    "expires" DATETIME,
    "catchUp" TEXT NOT NULL DEFAULT 'one',
    "lastRunAt" DATETIME,
    "totalRunCount" INTEGER NOT NULL DEFAULT 0,
    "description" TEXT NOT NULL DEFAULT '',
    "managed" BOOLEAN NOT NULL DEFAULT false,
    "settingsDigest" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "PeriodicTask_intervalId_fkey" FOREIGN KEY ("intervalId") REFERENCES "IntervalSchedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "PeriodicTask_crontabId_fkey" FOREIGN KEY ("crontabId") REFERENCES "CrontabSchedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "PeriodicTask_clockedId_fkey" FOREIGN KEY ("clockedId") REFERENCES "ClockedSchedule" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "IntervalSchedule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "every" INTEGER NOT NULL,
    "period" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "CrontabSchedule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "minute" TEXT NOT NULL DEFAULT '*',
    "hour" TEXT NOT NULL DEFAULT '*',
    "dayOfWeek" TEXT NOT NULL DEFAULT '*',
    "dayOfMonth" TEXT NOT NULL DEFAULT '*',
    "monthOfYear" TEXT NOT NULL DEFAULT '*',
    "cron" TEXT,
    "timezone" TEXT
);

-- CreateTable
CREATE TABLE "ClockedSchedule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clockedTime" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "TaskResult_status_idx" ON "TaskResult"("status");

-- CreateIndex
CREATE INDEX "TaskResult_doneAt_idx" ON "TaskResult"("doneAt");

-- CreateIndex
CREATE INDEX "TaskOutbox_dispatchedAt_createdAt_idx" ON "TaskOutbox"("dispatchedAt", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "PeriodicTask_name_key" ON "PeriodicTask"("name");

-- CreateIndex
CREATE INDEX "PeriodicTask_enabled_idx" ON "PeriodicTask"("enabled");

