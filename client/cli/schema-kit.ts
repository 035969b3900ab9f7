import { z } from 'zod';
import * as duration from '../../config/duration';
import * as policy from '../../config/policy-schema';
import type { SchemaKit } from './option-spec';

/** What option schemas are built from; loaded when a command runs, never for `--help`. */
export const kit: SchemaKit = { z, policy, duration };
