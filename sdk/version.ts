/** sdkVersion is the version of the plugin contract this copy of the sdk implements. */
export const sdkVersion = '1.0.0';
