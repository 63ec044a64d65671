/**
 * A task's workflow (TaskDetail.workflow) as nested lists: each step under the one it follows, a group as
 * one item holding its members in order (an ordered list), every step's state on its badge and a link to
 * its own page, the task being read marked (aria-current). A chain step that never ran says which step
 * stopped the chain.
 */
import type React from "react";
import type { Workflow, WorkflowGroupNode, WorkflowNode, WorkflowTaskNode } from "../../api-types.js";
import { formatProgress } from "../format.js";
import { Link } from "../router.js";
import { Duration, StatusBadge } from "../ui.js";
import "./workflow-tree.css";

const FINISHED = new Set(["SUCCESS", "FAILURE", "REVOKED"]);

export function WorkflowTree(props: { workflow: Workflow; currentId: string }): React.JSX.Element {
  const { workflow, currentId } = props;
  return (
    <section className="section" data-testid="task-workflow" aria-labelledby="workflow-title">
      <h2 id="workflow-title">Workflow</h2>
      {workflow.truncated && (
        <p className="muted" data-testid="workflow-truncated">
          It has more than {workflow.limit} steps: {workflow.limit} of them are shown, and this task.
        </p>
      )}
      <Nodes nodes={workflow.nodes} currentId={currentId} className="wf-tree" />
    </section>
  );
}

function Nodes(props: { nodes: readonly WorkflowNode[]; currentId: string; className?: string }): React.JSX.Element | null {
  if (props.nodes.length === 0) return null;
  return (
    <ul className={props.className ?? "wf-children"}>
      {props.nodes.map((node) => (node.kind === "group" ? <GroupItem key={node.id} node={node} currentId={props.currentId} /> : <TaskItem key={node.id} node={node} currentId={props.currentId} />))}
    </ul>
  );
}

function GroupItem(props: { node: WorkflowGroupNode; currentId: string }): React.JSX.Element {
  const { node, currentId } = props;
  const done = node.members.filter((member) => member.recorded && FINISHED.has(member.status)).length;
  const kind = node.callbackId === null ? "group" : "chord";
  return (
    <li className="wf-node wf-group" data-testid={`wf-group-${node.id}`}>
      <div className="wf-line">
        <strong className="wf-kind">{kind}</strong>
        <span className="muted">
          {node.memberCount} {node.memberCount === 1 ? "member" : "members"}, {done} finished
          {node.members.length < node.memberCount ? ` (${node.members.length} shown)` : ""}
        </span>
      </div>
      <ol className="wf-members" aria-label={`the ${kind}'s members`}>
        {node.members.map((member) => (
          <TaskItem key={member.id} node={member} currentId={currentId} />
        ))}
      </ol>
      <Nodes nodes={node.children} currentId={currentId} />
    </li>
  );
}

function TaskItem(props: { node: WorkflowTaskNode; currentId: string }): React.JSX.Element {
  const { node, currentId } = props;
  const current = node.id === currentId;
  const name = node.name ?? "a member";
  return (
    <li className={current ? "wf-node wf-current" : "wf-node"} aria-current={current ? "true" : undefined} data-testid={`wf-node-${node.id}`} data-status={node.status}>
      <div className="wf-line">
        <StatusBadge status={node.status} />
        {node.recorded && !current ? (
          <Link to={`/tasks/${encodeURIComponent(node.id)}`} className="wf-name" title={node.id}>
            {name}
          </Link>
        ) : (
          <span className="wf-name" title={node.id}>
            {name}
          </span>
        )}
        {current && <span className="wf-here">this task</span>}
        {node.runtimeMs !== null && (
          <span className="muted">
            <Duration ms={node.runtimeMs} />
          </span>
        )}
        {node.progress && (
          <span className="muted" title={node.progress.message}>
            {formatProgress(node.progress)}
          </span>
        )}
      </div>
      {node.notRun && (
        <p className="wf-note" data-testid={`wf-not-run-${node.id}`}>
          not run: the chain stopped at{" "}
          <Link to={`/tasks/${encodeURIComponent(node.notRun.stoppedBy)}`}>{node.notRun.stoppedByName ?? node.notRun.stoppedBy}</Link>
        </p>
      )}
      {!node.recorded && <p className="wf-note muted">queued: no result row yet</p>}
      <Nodes nodes={node.children} currentId={currentId} />
    </li>
  );
}
