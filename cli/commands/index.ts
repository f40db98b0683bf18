/** Every top-level command, in the order `imctl --help` lists them. */
import type { AnyCommand } from '../command.ts';
import { admin } from './admin/index.ts';
import { audit } from './audit.ts';
import { broadcast } from './broadcast.ts';
import { cluster } from './cluster/index.ts';
import { config } from './config/index.ts';
import { dev } from './dev.ts';
import { files } from './files/index.ts';
import { groups } from './groups/index.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { meetings } from './meetings/index.ts';
import { messages } from './messages/index.ts';
import { migrate } from './migrate.ts';
import { partitions } from './partitions/index.ts';
import { push } from './push/index.ts';
import { sensitiveWords } from './sensitive-words/index.ts';
import { stats } from './stats.ts';
import { users } from './users/index.ts';

export const COMMANDS: AnyCommand[] = [
  login,
  logout,
  users,
  groups,
  messages,
  files,
  meetings,
  broadcast,
  push,
  stats,
  audit,
  config,
  sensitiveWords,
  admin,
  cluster,
  partitions,
  migrate,
  dev,
];
