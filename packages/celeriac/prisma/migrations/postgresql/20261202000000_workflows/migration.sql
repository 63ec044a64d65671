-- AlterTable
ALTER TABLE "TaskOutbox" ADD COLUMN "workflow" JSONB;

-- AlterTable
ALTER TABLE "TaskResult" ADD COLUMN     "groupId" TEXT,
ADD COLUMN     "meta" JSONB,
ADD COLUMN     "parentId" TEXT,
ADD COLUMN     "rootId" TEXT;

-- CreateTable
CREATE TABLE "TaskGroup" (
    "id" TEXT NOT NULL,
    "memberIds" JSONB NOT NULL,
    "callback" JSONB,
    "callbackId" TEXT,
    "firedAt" TIMESTAMP(3),
    "parentId" TEXT,
    "rootId" TEXT,
    "owner" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskGroup_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TaskGroup_createdAt_idx" ON "TaskGroup"("createdAt");

-- CreateIndex
CREATE INDEX "TaskResult_rootId_idx" ON "TaskResult"("rootId");

-- CreateIndex
CREATE INDEX "TaskResult_groupId_status_idx" ON "TaskResult"("groupId", "status");
