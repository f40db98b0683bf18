/**
 * Records the contracts of proto/ as the baseline `buf breaking` compares with
 * (proto/breaking-baseline.binpb, a buf image checked in). Run it when a release ships, so that a
 * change that would break a service still running the released contracts (a rolling update runs
 * both) fails the check: `npm run proto:baseline`.
 */
import { baselineImage, buf } from './buf.ts';

buf(['build', '--exclude-source-info', '-o', baselineImage]);
console.log(`wrote ${baselineImage}`);
