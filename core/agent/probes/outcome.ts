/**
 * ProbeResult is how one probe attempt ended: success, success with a caveat (warning),
 * failure (counts toward failureThreshold), or error (the agent could not tell, so the attempt
 * is not counted, as kubelet discards errored probes).
 */
export type ProbeResult = 'success' | 'warning' | 'failure' | 'error';

/** ProbeOutcome is one probe attempt's result and the text that explains it. */
export interface ProbeOutcome {
  result: ProbeResult;
  /** output is the command output, response body or failure message. */
  output: string;
}
