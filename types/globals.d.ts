// The few k6 globals and built-in modules usage.ts needs, declared here so
// that the check depends on nothing but ../index.d.ts and TypeScript itself.

declare const __ENV: { [name: string]: string | undefined };
declare const __VU: number;
declare const __ITER: number;

declare const console: {
  log(...data: unknown[]): void;
  error(...data: unknown[]): void;
};

declare function setTimeout(callback: () => void, ms?: number): number;
declare function clearTimeout(id?: number): void;
declare function setInterval(callback: () => void, ms?: number): number;
declare function clearInterval(id?: number): void;

declare module "k6" {
  export function check<T>(value: T, checks: { [name: string]: (value: T) => boolean }): boolean;
}

declare module "k6/http" {
  export class CookieJar {
    cookiesForURL(url: string): { [name: string]: string[] };
    set(url: string, name: string, value: string, options?: object): void;
  }
  export function cookieJar(): CookieJar;
  const http: { CookieJar: typeof CookieJar; cookieJar: typeof cookieJar };
  export default http;
}
