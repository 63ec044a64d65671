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

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_User" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "passwordChangedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "isStaff" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_User" ("createdAt", "email", "id", "name", "passwordChangedAt", "passwordHash") SELECT "createdAt", "email", "id", "name", "passwordChangedAt", "passwordHash" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "PeriodicTask_name_key" ON "PeriodicTask"("name");

-- CreateIndex
CREATE INDEX "PeriodicTask_enabled_idx" ON "PeriodicTask"("enabled");
