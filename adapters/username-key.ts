// The key under which usernames are unique: case-insensitive and Unicode-normalized.
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}
