import { transaction } from "@/lib/celery";
import { summarize } from "@/tasks/notes";

export async function POST(request: Request) {
  const { text } = (await request.json()) as { text: string };
  const { note, taskId } = await transaction(async (tx) => {
    const note = await tx.note.create({ data: { text } });
    return { note, taskId: summarize.delayOnCommit(note.id) };
  });
  return Response.json({ id: note.id, taskId }, { status: 202 });
}
