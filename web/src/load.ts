/** Loading a page's data: the value, whether it is on its way, and the server's message on failure. */
import { ref, type Ref } from 'vue';

export interface Loaded<T> {
  data: Ref<T | null>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  reload(): Promise<void>;
}

export function useLoad<T>(fetchData: () => Promise<T>): Loaded<T> {
  const data = ref<T | null>(null) as Ref<T | null>;
  const loading = ref(false);
  const error = ref<string | null>(null);
  async function reload() {
    loading.value = true;
    error.value = null;
    try {
      data.value = await fetchData();
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }
  void reload();
  return { data, loading, error, reload };
}

/** Run a write; its failure message lands in `error` (shown beside the form). */
export async function attempt(error: Ref<string | null>, action: () => Promise<unknown>): Promise<boolean> {
  error.value = null;
  try {
    await action();
    return true;
  } catch (e) {
    error.value = (e as Error).message;
    return false;
  }
}

export interface Paged<T, C> {
  items: Ref<T[]>;
  /** The cursor of the next page; null on the last one. */
  next: Ref<C | null>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  /** The first page again (filters changed), or the next page appended (`more`). */
  load(more?: boolean): Promise<void>;
}

/** A list the server answers in pages (`next` cursor), as alerts and the audit log are. */
export function usePaged<T, C>(
  fetchPage: (before: C | undefined) => Promise<{ items: T[]; next: C | null }>,
): Paged<T, C> {
  const items = ref<T[]>([]) as Ref<T[]>;
  const next = ref<C | null>(null) as Ref<C | null>;
  const loading = ref(false);
  const error = ref<string | null>(null);
  async function load(more = false) {
    loading.value = true;
    error.value = null;
    try {
      const page = await fetchPage(more ? (next.value ?? undefined) : undefined);
      items.value = more ? [...items.value, ...page.items] : page.items;
      next.value = page.next;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }
  return { items, next, loading, error, load };
}
