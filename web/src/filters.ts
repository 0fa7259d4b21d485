/**
 * A list page's filters kept in the address (bookmarks, the back button and reloads keep them):
 * `follow(load)` reads them from the route's query now and on every change of it, then loads;
 * `apply` writes them back, defaults left out. (`follow` is separate so the page can define its
 * list, which reads `filters`, in between.)
 */
import { reactive, watch } from 'vue';
import { useRoute, useRouter } from 'vue-router';

export function useRouteFilters<F extends Record<string, string>>(
  name: string,
  defaults: F,
): { filters: F; apply(): void; follow(load: () => void): void } {
  const route = useRoute();
  const router = useRouter();
  const filters = reactive({ ...defaults }) as F;

  function apply() {
    const q: Record<string, string> = {};
    for (const [k, v] of Object.entries(filters)) if (v && v !== defaults[k]) q[k] = v;
    void router.replace({ name, query: q });
  }

  function follow(load: () => void) {
    watch(
      () => route.query,
      (query) => {
        for (const k of Object.keys(defaults) as (keyof F & string)[]) {
          const v = query[k];
          (filters as Record<string, string>)[k] = typeof v === 'string' && v ? v : defaults[k]!;
        }
        load();
      },
      { immediate: true },
    );
  }
  return { filters, apply, follow };
}
