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

    CONSTRAINT "TaskResult_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TaskResult_status_idx" ON "TaskResult"("status");

-- CreateIndex
CREATE INDEX "TaskResult_doneAt_idx" ON "TaskResult"("doneAt");

