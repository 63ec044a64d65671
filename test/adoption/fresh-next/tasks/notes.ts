import { z } from "zod";
import { prisma } from "../lib/db";
import { task } from "../lib/celery";

export const summarize = task({
  name: "notes.summarize",
  args: z.tuple([z.number().int()]),
  async run(ctx, noteId) {
    const note = await prisma.note.findUniqueOrThrow({ where: { id: noteId } });
    const summary = note.text.slice(0, 10).toUpperCase();
    await prisma.note.update({ where: { id: noteId }, data: { summary } });
    return { noteId, summary };
  },
});
