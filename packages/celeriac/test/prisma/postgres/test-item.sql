-- TestItem (../models/test.prisma), created after the package's migration set by test/databases.ts; the
-- statement is Prisma's (prisma migrate diff from celeriac's models to this schema).
CREATE TABLE "TestItem" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TestItem_pkey" PRIMARY KEY ("id")
);
