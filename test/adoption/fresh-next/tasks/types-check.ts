// Compile-time only (tsc --noEmit in the test): a task's argument types reach the app through the package's declarations.
import { summarize } from "./notes";

export function wrongArguments() {
  // @ts-expect-error summarize takes a note id (a number)
  void summarize.delay("one");
  void summarize.delay(1);
}
