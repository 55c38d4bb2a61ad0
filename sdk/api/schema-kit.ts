import { FormatRegistry, type TProperties, type TSchema, Type } from '@sinclair/typebox';

// Timestamps carry format date-time for OpenAPI; the checker needs to know the format.
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));

/** obj builds a closed object schema: unknown fields are detectable for strict decoding. */
export const obj = <T extends TProperties>(props: T, description?: string) =>
  Type.Object(props, {
    additionalProperties: false,
    ...(description === undefined ? {} : { description }),
  });

/** doc gives a field the description `kubectl explain` prints for it. */
export const doc = <T extends TSchema>(schema: T, description: string): T => ({
  ...schema,
  description,
});

/** opt marks a property optional. */
export const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

/** str is a string field. */
export const str = () => Type.String();

/** int is an integer field (int32 or int64 in Kubernetes). */
export const int = () => Type.Integer();

/** num is a floating-point field. */
export const num = () => Type.Number();

/** bool is a boolean field. */
export const bool = () => Type.Boolean();

/** arr is a list field. */
export const arr = <T extends TSchema>(items: T) => Type.Array(items);

/** strMap is a map with string keys. */
export const strMap = <T extends TSchema>(values: T) => Type.Record(Type.String(), values);

/** IntOrString is Kubernetes' intstr.IntOrString: a port number or name, a count or percentage. */
export const IntOrString = Type.Union([Type.Integer(), Type.String()], {
  'x-kubernetes-int-or-string': true,
});

/** Quantity is a resource amount as written in manifests: "500m", "128Mi", or a bare number. */
export const Quantity = Type.Union([Type.String(), Type.Number()], {
  'x-kubernetes-quantity': true,
});

/** Time is an RFC 3339 timestamp; null is accepted as "unset", as Kubernetes' decoder does. */
export const Time = Type.String({ format: 'date-time' });

/** FreeForm accepts any JSON value (managedFields, raw extensions). */
export const FreeForm = Type.Unknown();
