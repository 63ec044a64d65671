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
    "runtimeMs" REAL
);

-- CreateIndex
CREATE INDEX "TaskResult_status_idx" ON "TaskResult"("status");

-- CreateIndex
CREATE INDEX "TaskResult_doneAt_idx" ON "TaskResult"("doneAt");

