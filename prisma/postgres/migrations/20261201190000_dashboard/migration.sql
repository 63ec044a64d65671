-- DropIndex
DROP INDEX "TaskResult_status_idx";

-- DropIndex
DROP INDEX "TaskResult_doneAt_idx";

-- AlterTable
ALTER TABLE "TaskResult" ADD COLUMN     "retriedFrom" TEXT;

-- AlterTable
ALTER TABLE "PeriodicTask" ADD COLUMN     "lastTaskId" TEXT;

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "detail" JSONB,
    "requestKey" TEXT,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AuditLog_requestKey_key" ON "AuditLog"("requestKey");

-- CreateIndex
CREATE INDEX "AuditLog_at_idx" ON "AuditLog"("at");

-- CreateIndex
CREATE INDEX "TaskResult_createdAt_id_idx" ON "TaskResult"("createdAt", "id");

-- CreateIndex
CREATE INDEX "TaskResult_status_createdAt_id_idx" ON "TaskResult"("status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "TaskResult_name_createdAt_id_idx" ON "TaskResult"("name", "createdAt", "id");

-- CreateIndex
CREATE INDEX "TaskResult_queue_createdAt_id_idx" ON "TaskResult"("queue", "createdAt", "id");

-- CreateIndex
CREATE INDEX "TaskResult_worker_createdAt_id_idx" ON "TaskResult"("worker", "createdAt", "id");

-- CreateIndex
CREATE INDEX "TaskResult_status_doneAt_idx" ON "TaskResult"("status", "doneAt");

-- CreateIndex
CREATE INDEX "TaskResult_retriedFrom_idx" ON "TaskResult"("retriedFrom");
