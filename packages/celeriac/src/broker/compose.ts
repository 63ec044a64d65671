/**
 * A Broker from ports implemented apart, and the ports a broker with no queue cannot serve. An eager app
 * and a fake queue (celeriac/testing) are brokers of this kind: they implement what they really do and take
 * the rest from `unavailable()`, which refuses every call in one place, with one message saying why.
 */
import { ConfigError } from "../errors.js";
import type { Broker, BrokerInspection, Leases, ResultEvents, TaskControl, TaskTransport, WorkerChannel } from "./broker.js";

export interface BrokerPorts {
  taskTransport: TaskTransport;
  workerChannel: WorkerChannel;
  taskControl: TaskControl;
  resultEvents: ResultEvents;
  leases: Leases;
  inspection: BrokerInspection;
}

/**
 * One Broker over the given ports. Each method is the port's own, bound to it once here: a call goes
 * straight to the implementation, with no wrapper of ours in between (publish, isRevoked and reserveRate
 * are on the hot paths).
 */
export function composeBroker(ports: BrokerPorts): Broker {
  const { taskTransport, workerChannel, taskControl, resultEvents, leases, inspection } = ports;
  return {
    get transport() {
      return taskTransport.transport;
    },
    probe: taskTransport.probe.bind(taskTransport),
    publish: taskTransport.publish.bind(taskTransport),
    close: taskTransport.close.bind(taskTransport),
    consume: workerChannel.consume.bind(workerChannel),
    sendHeartbeat: workerChannel.sendHeartbeat.bind(workerChannel),
    removeHeartbeat: workerChannel.removeHeartbeat.bind(workerChannel),
    oldLayoutQueues: workerChannel.oldLayoutQueues.bind(workerChannel),
    revoke: taskControl.revoke.bind(taskControl),
    isRevoked: taskControl.isRevoked.bind(taskControl),
    reserveRate: taskControl.reserveRate.bind(taskControl),
    shutdownWorker: taskControl.shutdownWorker.bind(taskControl),
    announce: resultEvents.announce.bind(resultEvents),
    onAnnounce: resultEvents.onAnnounce.bind(resultEvents),
    holdLease: leases.holdLease.bind(leases),
    releaseLease: leases.releaseLease.bind(leases),
    leaseHolder: leases.leaseHolder.bind(leases),
    heartbeats: inspection.heartbeats.bind(inspection),
    workersSeen: inspection.workersSeen.bind(inspection),
    queueNames: inspection.queueNames.bind(inspection),
    queueCounts: inspection.queueCounts.bind(inspection),
    scheduled: inspection.scheduled.bind(inspection),
    purge: inspection.purge.bind(inspection),
    pauseQueue: inspection.pauseQueue.bind(inspection),
    resumeQueue: inspection.resumeQueue.bind(inspection),
  };
}

/**
 * The ports that need a real queue: a worker's channel, the leases beat leads by, inspection. Every call
 * rejects (never throws: beat's warm-up only catches the promise) with a ConfigError of `reason`, which says
 * why and what to do, and the call's name.
 */
export function unavailable(reason: string): WorkerChannel & Leases & BrokerInspection {
  const refuse = (call: string) => () => Promise.reject(new ConfigError(`${reason} (broker.${call})`));
  return {
    consume: refuse("consume"),
    sendHeartbeat: refuse("sendHeartbeat"),
    removeHeartbeat: refuse("removeHeartbeat"),
    oldLayoutQueues: refuse("oldLayoutQueues"),
    holdLease: refuse("holdLease"),
    releaseLease: refuse("releaseLease"),
    leaseHolder: refuse("leaseHolder"),
    heartbeats: refuse("heartbeats"),
    workersSeen: refuse("workersSeen"),
    queueNames: refuse("queueNames"),
    queueCounts: refuse("queueCounts"),
    scheduled: refuse("scheduled"),
    purge: refuse("purge"),
    pauseQueue: refuse("pauseQueue"),
    resumeQueue: refuse("resumeQueue"),
  };
}
