export {
  ATTRIBUTE_TYPES,
  type AttributeTypeDefinition,
  type AttributeTypeName,
  attributeTypeOid,
  type MatchingRule,
  OBJECT_CLASSES,
  type ObjectClassDefinition,
  type ObjectClassKind,
  type ObjectClassName,
  objectClassOid,
  ROSTERSYNC_OID_ARC,
  STANDARD_ATTRIBUTES,
  type StandardAttributeName,
  SYNTAX_OIDS,
  type SyntaxName,
} from './definition.js';
export {
  renderSchema,
  renderSchemaFile,
  renderSchemaLdif,
  SCHEMA_CONFIG_DN,
  type SchemaFormat,
} from './render.js';
