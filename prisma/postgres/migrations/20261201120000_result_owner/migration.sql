-- AlterTable
ALTER TABLE "TaskOutbox" ADD COLUMN "owner" TEXT;

-- AlterTable
ALTER TABLE "TaskResult" ADD COLUMN "owner" TEXT;
