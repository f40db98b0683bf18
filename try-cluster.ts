import { DaprCluster } from './test/support/dapr-cluster.ts';

const c = await DaprCluster.start({ broker: 'nats', state: 'redis', gateways: 2 }).catch((e) => {
  console.log('FAILED', String(e).slice(0, 300));
  return undefined;
});
console.log('started', !!c);
await new Promise((r) => setTimeout(r, 1000));
