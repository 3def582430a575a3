// Placeholder so the library has a translation unit; replaced by the fetcher.
