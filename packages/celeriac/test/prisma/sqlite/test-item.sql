-- TestItem (../models/test.prisma), created after the package's migration set by test/databases.ts; the
-- statement is Prisma's (prisma migrate diff from celeriac's models to this schema).
CREATE TABLE "TestItem" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "title" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
