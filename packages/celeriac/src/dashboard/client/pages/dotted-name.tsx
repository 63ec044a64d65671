/** A dotted name ("reports.generateMonthly") that a narrow cell breaks after its dots, not mid-word. */
import { Fragment } from "react";
import type React from "react";

export function DottedName(props: { name: string }): React.JSX.Element {
  const parts = props.name.split(".");
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 && (
            <>
              .<wbr />
            </>
          )}
          {part}
        </Fragment>
      ))}
    </>
  );
}
