// Original file: proto/runtime/v1/api.proto


/**
 * PullImageResponse carries the image's id or digest reference.
 */
export interface PullImageResponse {
  'imageRef'?: (string);
}

/**
 * PullImageResponse carries the image's id or digest reference.
 */
export interface PullImageResponse__Output {
  'imageRef': (string);
}
