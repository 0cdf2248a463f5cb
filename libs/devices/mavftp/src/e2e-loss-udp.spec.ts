import { describeLossRuns } from './e2e-loss';

describeLossRuns('udp');
