/**
 * The dashboard's one layout (navigation, who is signed in, the page) and its route table.
 */
import type React from "react";
import { config } from "./config.js";
import { AuditPage } from "./pages/audit.js";
import { OverviewPage } from "./pages/overview.js";
import { PeriodicTaskFormPage } from "./pages/periodic-task-form.js";
import { PeriodicTasksPage } from "./pages/periodic-tasks.js";
import { QueuesPage } from "./pages/queues.js";
import { TaskDetailPage } from "./pages/task-detail.js";
import { TasksPage } from "./pages/tasks.js";
import { WorkersPage } from "./pages/workers.js";
import { Link, type Route, Routes, useRoute } from "./router.js";
import { Actions, PageHeader } from "./ui.js";

const ROUTES: readonly Route[] = [
  { pattern: "/", render: () => <OverviewPage /> },
  { pattern: "/tasks", render: () => <TasksPage /> },
  { pattern: "/tasks/:id", render: ({ id }) => <TaskDetailPage key={id} id={id ?? ""} /> },
  { pattern: "/workers", render: () => <WorkersPage /> },
  { pattern: "/queues", render: () => <QueuesPage /> },
  { pattern: "/periodic-tasks", render: () => <PeriodicTasksPage /> },
  { pattern: "/periodic-tasks/new", render: () => <PeriodicTaskFormPage /> },
  { pattern: "/periodic-tasks/:id", render: ({ id }) => periodicTaskForm(id ?? "") },
  { pattern: "/audit", render: () => <AuditPage /> },
];

const SECTIONS: ReadonlyArray<{ to: string; label: string; testId: string }> = [
  { to: "/", label: "Overview", testId: "nav-overview" },
  { to: "/tasks", label: "Tasks", testId: "nav-tasks" },
  { to: "/workers", label: "Workers", testId: "nav-workers" },
  { to: "/queues", label: "Queues", testId: "nav-queues" },
  { to: "/periodic-tasks", label: "Periodic tasks", testId: "nav-periodic-tasks" },
  { to: "/audit", label: "Audit", testId: "nav-audit" },
];

export function App(): React.JSX.Element {
  return (
    <Actions>
      <div className="layout">
        <Navigation />
        <main className="page">
          <Routes routes={ROUTES} notFound={<NotFound />} />
        </main>
      </div>
    </Actions>
  );
}

function Navigation(): React.JSX.Element {
  const { path } = useRoute();
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        celeriac
      </Link>
      <nav className="nav" aria-label="Dashboard">
        {SECTIONS.map((section) => (
          <Link
            key={section.to}
            to={section.to}
            className="nav-link"
            data-testid={section.testId}
            aria-current={isCurrent(section.to, path) ? "page" : undefined}
          >
            {section.label}
          </Link>
        ))}
      </nav>
      <span className="actor" data-testid="actor" title="Signed in as">
        {config().actor}
      </span>
    </header>
  );
}

function isCurrent(section: string, path: string): boolean {
  return section === "/" ? path === "/" : path === section || path.startsWith(`${section}/`);
}

/** The form edits the periodic task of a numeric id; any other segment is not a page. */
function periodicTaskForm(id: string): React.ReactNode {
  return /^\d+$/.test(id) ? <PeriodicTaskFormPage key={id} id={Number(id)} /> : <NotFound />;
}

function NotFound(): React.JSX.Element {
  const { path } = useRoute();
  return (
    <section data-testid="not-found">
      <PageHeader title="Not found" />
      <p>
        There is no dashboard page at <code>{path}</code>. <Link to="/">Back to the overview</Link>
      </p>
    </section>
  );
}
