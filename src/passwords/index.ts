export { generatePassword, MIN_PASSWORD_LENGTH } from './generate.js';
export { ARGON2_PARAMETERS, argon2Hash, hashPassword, type PasswordHashScheme, sshaHash } from './hash.js';
export { csvField, type PasswordEntry, PasswordsFile, type PasswordsFileOptions } from './passwords-file.js';
