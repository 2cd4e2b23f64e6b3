// Writer-thread entry: registers tsx (see worker-boot.mjs), then runs writer.ts.
import { register } from 'tsx/esm/api';

register();
await import('./writer.ts');
