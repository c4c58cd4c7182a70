/** A posix user's `homeDirectory` from `posix.home_directory` (`{username}`, `{school}`). */
export function homeDirectory(template: string, username: string, school: string): string {
  return template.replaceAll('{username}', username).replaceAll('{school}', school);
}
