/**
 * The dashboard's tables, every one never wider than its box (dashboard.css, "Tables"): on a wide screen
 * a table whose cells keep their columns narrow; on a phone each row a card of "label value" lines, each
 * label from its cell's data-label.
 */
import type React from "react";

export type Column = string | { label: string; num: true };

/** The table, its header from `columns` (a last, unnamed one for the row's buttons with `actions`), and `children` as its rows. */
export function DataTable(props: { columns: readonly Column[]; actions?: boolean; "data-testid"?: string; children: React.ReactNode }): React.JSX.Element {
  return (
    <div className="table-wrap">
      <table className="data" data-testid={props["data-testid"]}>
        <thead>
          <tr>
            {props.columns.map((column) =>
              typeof column === "string" ? (
                <th key={column}>{column}</th>
              ) : (
                <th key={column.label} className="num">
                  {column.label}
                </th>
              ),
            )}
            {props.actions && (
              <th>
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
