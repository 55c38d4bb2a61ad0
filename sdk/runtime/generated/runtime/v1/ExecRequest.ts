// Original file: proto/runtime/v1/api.proto


/**
 * ExecRequest describes an interactive command and which streams it uses.
 */
export interface ExecRequest {
  'containerId'?: (string);
  'cmd'?: (string)[];
  'tty'?: (boolean);
  'stdin'?: (boolean);
  'stdout'?: (boolean);
  'stderr'?: (boolean);
}

/**
 * ExecRequest describes an interactive command and which streams it uses.
 */
export interface ExecRequest__Output {
  'containerId': (string);
  'cmd': (string)[];
  'tty': (boolean);
  'stdin': (boolean);
  'stdout': (boolean);
  'stderr': (boolean);
}
