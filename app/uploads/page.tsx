/** Uploads (seed 001, exercise 5.2): a CSV is stored at once and summarised by a background task, live. */
import { UPLOAD_MAX_BYTES } from "@/lib/request-limits";
import { UploadForm } from "./upload-form";
import "./uploads.css";

export const dynamic = "force-dynamic";

export default function UploadsPage() {
  return (
    <main>
      <h1>Uploads</h1>
      <p className="lead">
        Uploading a CSV file (up to {UPLOAD_MAX_BYTES / (1024 * 1024)} MB) stores it and answers at once; the task{" "}
        <code>uploads.processUpload</code> then reads it in the background, row by row, and reports how far it got. The bar
        follows its progress; the summary appears when it is done.
      </p>
      <UploadForm />
    </main>
  );
}
