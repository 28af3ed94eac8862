/**
 * Where the local stack finds the repository's files and binds its services.
 *
 * @module
 */

/** The repository's root directory, without a trailing slash (this file is tools/stack/). */
export const REPO_ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);

/** The address every service of the stack binds or is reached at. */
export const LOCALHOST = "127.0.0.1";
