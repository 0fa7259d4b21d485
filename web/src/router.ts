/**
 * The pages under /app/. A page that needs a permission the user does not hold is not in the menu
 * and its address leads to the first page the user may see.
 */
import { createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router';
import type { Permission } from './api/types.js';
import { can, loadMe, onLoginNeeded, session } from './session.js';

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    permission?: Permission;
  }
}

export const router = createRouter({
  history: createWebHistory('/app/'),
  routes: [
    {
      path: '/login',
      name: 'login',
      component: () => import('./pages/LoginPage.vue'),
      meta: { public: true },
    },
    {
      path: '/',
      name: 'overview',
      component: () => import('./pages/OverviewPage.vue'),
      meta: { permission: 'station:read' },
    },
    {
      path: '/alerts',
      name: 'alerts',
      component: () => import('./pages/AlertsPage.vue'),
      meta: { permission: 'station:read' },
    },
    {
      path: '/alerts/:id',
      name: 'alert',
      component: () => import('./pages/AlertPage.vue'),
      meta: { permission: 'station:read' },
      props: true,
    },
    { path: '/account', name: 'account', component: () => import('./pages/AccountPage.vue') },
    {
      path: '/users',
      name: 'users',
      component: () => import('./pages/UsersPage.vue'),
      meta: { permission: 'user:admin' },
    },
    {
      path: '/audit',
      name: 'audit',
      component: () => import('./pages/AuditPage.vue'),
      meta: { permission: 'audit:read' },
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

/** The first page the user may see. */
export function homeRoute(): RouteLocationRaw {
  return can('station:read') ? { name: 'overview' } : { name: 'account' };
}

router.beforeEach(async (to) => {
  if (!session.checked) await loadMe();
  if (to.meta.public) return true;
  if (!session.me) return { name: 'login', query: { next: to.fullPath } };
  if (to.meta.permission && !can(to.meta.permission)) return homeRoute();
  return true;
});

onLoginNeeded((reason) => {
  const next = router.currentRoute.value.fullPath;
  void router.replace({
    name: 'login',
    query: reason === 'expired' && !next.startsWith('/login') ? { reason, next } : { reason },
  });
});
