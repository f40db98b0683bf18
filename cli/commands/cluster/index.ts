import type { CommandGroup } from '../../command.ts';
import { clusterStatus } from './status.ts';

export const cluster: CommandGroup = {
  command: 'cluster',
  describe: 'AnyChat clusters on Kubernetes (ImCluster resources)',
  commands: [clusterStatus],
};
