// Original file: proto/runtime/v1/api.proto


/**
 * AttachRequest says which streams of the main process to attach.
 */
export interface AttachRequest {
  'containerId'?: (string);
  'stdin'?: (boolean);
  'tty'?: (boolean);
  'stdout'?: (boolean);
  'stderr'?: (boolean);
}

/**
 * AttachRequest says which streams of the main process to attach.
 */
export interface AttachRequest__Output {
  'containerId': (string);
  'stdin': (boolean);
  'tty': (boolean);
  'stdout': (boolean);
  'stderr': (boolean);
}
