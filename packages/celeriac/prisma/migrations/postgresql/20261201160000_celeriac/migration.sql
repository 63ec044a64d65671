-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "TaskResult" (
    "id" TEXT NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "doneAt" TIMESTAMP(3),
    "runtimeMs" DOUBLE PRECISION,
    "owner" TEXT,

    CONSTRAINT "TaskResult_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskOutbox" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "args" JSONB NOT NULL,
    "queue" TEXT NOT NULL,
    "priority" INTEGER,
    "runAt" TIMESTAMP(3),
    "expires" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimedAt" TIMESTAMP(3),
    "dispatchedAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "owner" TEXT,

    CONSTRAINT "TaskOutbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PeriodicTask" (
    "id" SERIAL NOT NULL,
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
    "startTime" TIMESTAMP(3),
    "expires" TIMESTAMP(3),
    "catchUp" TEXT NOT NULL DEFAULT 'one',
    "lastRunAt" TIMESTAMP(3),
    "totalRunCount" INTEGER NOT NULL DEFAULT 0,
    "description" TEXT NOT NULL DEFAULT '',
    "managed" BOOLEAN NOT NULL DEFAULT false,
    "settingsDigest" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PeriodicTask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IntervalSchedule" (
    "id" SERIAL NOT NULL,
    "every" INTEGER NOT NULL,
    "period" TEXT NOT NULL,

    CONSTRAINT "IntervalSchedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CrontabSchedule" (
    "id" SERIAL NOT NULL,
    "minute" TEXT NOT NULL DEFAULT '*',
    "hour" TEXT NOT NULL DEFAULT '*',
    "dayOfWeek" TEXT NOT NULL DEFAULT '*',
    "dayOfMonth" TEXT NOT NULL DEFAULT '*',
    "monthOfYear" TEXT NOT NULL DEFAULT '*',
    "cron" TEXT,
    "timezone" TEXT,

    CONSTRAINT "CrontabSchedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ClockedSchedule" (
    "id" SERIAL NOT NULL,
    "clockedTime" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ClockedSchedule_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "PeriodicTask" ADD CONSTRAINT "PeriodicTask_intervalId_fkey" FOREIGN KEY ("intervalId") REFERENCES "IntervalSchedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PeriodicTask" ADD CONSTRAINT "PeriodicTask_crontabId_fkey" FOREIGN KEY ("crontabId") REFERENCES "CrontabSchedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PeriodicTask" ADD CONSTRAINT "PeriodicTask_clockedId_fkey" FOREIGN KEY ("clockedId") REFERENCES "ClockedSchedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

