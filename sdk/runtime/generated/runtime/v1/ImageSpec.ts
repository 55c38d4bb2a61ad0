// Original file: proto/runtime/v1/api.proto


/**
 * ImageSpec names an image by reference or id.
 */
export interface ImageSpec {
  'image'?: (string);
  'annotations'?: ({[key: string]: string});
  'userSpecifiedImage'?: (string);
  'runtimeHandler'?: (string);
}

/**
 * ImageSpec names an image by reference or id.
 */
export interface ImageSpec__Output {
  'image': (string);
  'annotations': ({[key: string]: string});
  'userSpecifiedImage': (string);
  'runtimeHandler': (string);
}
