import type { CommandGroup } from '../../command.ts';
import { endMeeting } from './end.ts';

export const meetings: CommandGroup = {
  command: 'meetings',
  describe: 'Meeting moderation',
  commands: [endMeeting],
};
