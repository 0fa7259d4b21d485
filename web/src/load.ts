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
