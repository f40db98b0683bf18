import { expect } from 'chai';
import { Conditions } from '../../operator/conditions.ts';
import { assessReadiness } from '../../operator/readiness.ts';
import type { ComponentStatus, Condition } from '../../operator/spec.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:05:00Z');

const component = (ready: number, desired: number): ComponentStatus => ({
  ready,
  desired,
  summary: `${ready}/${desired}`,
});

/** The conditions a second reconcile starts from: what the first one wrote. */
const reread = (conditions: Conditions, generation = 1, now = T1) =>
  new Conditions(conditions.list(), generation, () => now);

describe('operator conditions', () => {
  it('upserts by type: setting a type again replaces it, one entry per type', () => {
    const conditions = new Conditions(undefined, 3, () => T0);
    conditions.set('BrokerReady', 'False', 'StreamFailed', 'nats: connection refused');
    conditions.set('BrokerReady', 'True', 'StreamReady', 'JetStream stream ANYCHAT holds every topic');
    expect(conditions.list()).to.deep.equal([
      {
        type: 'BrokerReady',
        status: 'True',
        reason: 'StreamReady',
        message: 'JetStream stream ANYCHAT holds every topic',
        lastTransitionTime: T0.toISOString(),
        observedGeneration: 3,
      },
    ]);
  });

  it('moves lastTransitionTime only when the status changes', () => {
    const first = new Conditions(undefined, 1, () => T0);
    first.set('PartitionsReady', 'True', 'Maintained', '4 monthly partitions of message.messages');
    const same = reread(first, 2);
    same.set('PartitionsReady', 'True', 'Maintained', '5 monthly partitions of message.messages');
    expect(same.get('PartitionsReady')).to.include({
      lastTransitionTime: T0.toISOString(),
      message: '5 monthly partitions of message.messages',
      observedGeneration: 2,
    });
    const flipped = reread(same, 2);
    flipped.set('PartitionsReady', 'False', 'MaintenanceFailed', 'connection refused');
    expect(flipped.get('PartitionsReady')?.lastTransitionTime).to.equal(T1.toISOString());
  });

  it('keeps conditions it does not set and lists them sorted by type', () => {
    const foreign: Condition = {
      type: 'AcmeCertified',
      status: 'True',
      reason: 'Issued',
      message: 'set by another controller',
      lastTransitionTime: T0.toISOString(),
    };
    const conditions = new Conditions([foreign], undefined, () => T1);
    conditions.set('Scaled', 'True', 'FollowingConnections', '0 connections');
    conditions.set('MigrationsApplied', 'True', 'JobSucceeded', 'chat-migrate-1-0-0 succeeded');
    expect(conditions.list().map((c) => c.type)).to.deep.equal([
      'AcmeCertified',
      'MigrationsApplied',
      'Scaled',
    ]);
    expect(conditions.list()[0]).to.deep.equal(foreign);
    // Without a generation none is claimed as observed.
    expect(conditions.get('Scaled')).not.to.have.property('observedGeneration');
  });
});

describe('operator readiness', () => {
  it('is progressing, not ready, while the migration Job has not succeeded, whatever the pods say', () => {
    const conditions = new Conditions(undefined, 1, () => T0);
    const phase = assessReadiness(conditions, false, { gateway: component(2, 2) });
    expect(phase).to.equal('Progressing');
    expect(conditions.get('Ready')).to.include({ status: 'False', reason: 'MigrationPending' });
    expect(conditions.get('Progressing')).to.include({ status: 'True', reason: 'MigrationPending' });
    expect(conditions.get('Degraded')).to.include({ status: 'False', reason: 'AsExpected' });
  });

  it('is ready when every component has its desired replicas ready', () => {
    const conditions = new Conditions(undefined, 1, () => T0);
    const phase = assessReadiness(conditions, true, {
      auth: component(1, 1),
      gateway: component(3, 2),
      disabled: component(0, 0),
    });
    expect(phase).to.equal('Ready');
    expect(conditions.get('Ready')).to.include({ status: 'True', reason: 'AllComponentsReady' });
    expect(conditions.get('Progressing')).to.include({ status: 'False', reason: 'Stable' });
    expect(conditions.get('Degraded')).to.include({ status: 'False' });
  });

  it('names the components still rolling out', () => {
    const conditions = new Conditions(undefined, 1, () => T0);
    const phase = assessReadiness(conditions, true, {
      auth: component(1, 1),
      gateway: component(1, 2),
      message: component(0, 1),
    });
    expect(phase).to.equal('Progressing');
    expect(conditions.get('Ready')).to.include({
      status: 'False',
      reason: 'ComponentsNotReady',
      message: 'not ready: gateway 1/2, message 0/1',
    });
    expect(conditions.get('Progressing')).to.include({ status: 'True', reason: 'RollingOut' });
    // A cluster coming up for the first time is not degraded: it never worked.
    expect(conditions.get('Degraded')).to.include({ status: 'False', reason: 'AsExpected' });
  });

  it('is degraded when a ready cluster loses every pod of a component, not when it loses some', () => {
    const ready = new Conditions(undefined, 1, () => T0);
    assessReadiness(ready, true, { gateway: component(2, 2), message: component(1, 1) });

    const fewer = reread(ready);
    expect(assessReadiness(fewer, true, { gateway: component(1, 2), message: component(1, 1) })).to.equal(
      'Progressing',
    );
    expect(fewer.get('Degraded')).to.include({ status: 'False' });

    const down = reread(ready);
    expect(assessReadiness(down, true, { gateway: component(1, 2), message: component(0, 1) })).to.equal(
      'Degraded',
    );
    expect(down.get('Degraded')).to.include({
      status: 'True',
      reason: 'ComponentsDown',
      message: 'no ready pod: message',
      lastTransitionTime: T1.toISOString(),
    });
    // Ready flipped at T1; it had been true since T0.
    expect(down.get('Ready')).to.include({ status: 'False', lastTransitionTime: T1.toISOString() });

    // The next reconcile finds Ready false: the cluster is still degraded, since T1.
    const stillDown = reread(down, 1, new Date('2026-01-01T00:10:00Z'));
    expect(assessReadiness(stillDown, true, { gateway: component(2, 2), message: component(0, 1) })).to.equal(
      'Degraded',
    );
    expect(stillDown.get('Degraded')).to.include({ status: 'True', lastTransitionTime: T1.toISOString() });
  });

  it('recovers: ready again clears Degraded', () => {
    const ready = new Conditions(undefined, 1, () => T0);
    assessReadiness(ready, true, { message: component(1, 1) });
    const down = reread(ready);
    assessReadiness(down, true, { message: component(0, 1) });
    const back = reread(down, 1, new Date('2026-01-01T00:10:00Z'));
    expect(assessReadiness(back, true, { message: component(1, 1) })).to.equal('Ready');
    expect(back.get('Degraded')).to.include({ status: 'False', reason: 'AsExpected' });
  });
});
