-- AlterTable
ALTER TABLE "TaskOutbox" ADD COLUMN "workflow" JSONB;

-- AlterTable
ALTER TABLE "TaskResult" ADD COLUMN "groupId" TEXT;
ALTER TABLE "TaskResult" ADD COLUMN "meta" JSONB;
ALTER TABLE "TaskResult" ADD COLUMN "parentId" TEXT;
ALTER TABLE "TaskResult" ADD COLUMN "rootId" TEXT;

-- CreateTable
CREATE TABLE "TaskGroup" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "memberIds" JSONB NOT NULL,
    "callback" JSONB,
    "callbackId" TEXT,
    "firedAt" DATETIME,
    "parentId" TEXT,
    "rootId" TEXT,
    "owner" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "TaskGroup_createdAt_idx" ON "TaskGroup"("createdAt");

-- CreateIndex
CREATE INDEX "TaskResult_rootId_idx" ON "TaskResult"("rootId");

-- CreateIndex
CREATE INDEX "TaskResult_groupId_status_idx" ON "TaskResult"("groupId", "status");
