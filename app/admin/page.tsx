/** /admin: the only admin so far is the periodic tasks'. */
import { redirect } from "next/navigation";

export default function AdminPage() {
  redirect("/admin/periodic-tasks");
}
