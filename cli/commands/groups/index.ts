import type { CommandGroup } from '../../command.ts';
import { dismissGroup } from './dismiss.ts';
import { listGroups } from './list.ts';
import { removeGroupMember } from './remove-member.ts';
import { showGroup } from './show.ts';

export const groups: CommandGroup = {
  command: 'groups',
  describe: 'Find, inspect and dismiss groups; remove members',
  commands: [listGroups, showGroup, dismissGroup, removeGroupMember],
};
