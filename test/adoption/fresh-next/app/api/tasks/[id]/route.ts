import { AsyncResult } from "@/lib/celery";
import { prisma } from "@/lib/db";

/** A task's state and result, and the note it worked on. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const info = await AsyncResult.from(id).info();
  const noteId = Number(new URL(request.url).searchParams.get("note"));
  const note = Number.isInteger(noteId) ? await prisma.note.findUnique({ where: { id: noteId } }) : null;
  return Response.json({ id, status: info?.status ?? "PENDING", result: info?.result ?? null, note });
}
