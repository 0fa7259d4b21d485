/**
 * The pages under /app/. A page that needs a permission the user does not hold is not in the menu,
 * and at its address the app shows 无权限 naming the permission (App.vue), with a link to the first
 * page the user may see.
 */
import { START_LOCATION, createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router';
import type { Permission } from './api/types.js';
import { can, loadMe, onLoginNeeded, session } from './session.js';

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    permission?: Permission;
    /** A page for paper: no menus. */
    print?: boolean;
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
    {
      path: '/crew',
      name: 'crew',
      component: () => import('./pages/CrewPage.vue'),
      meta: { permission: 'station:read' },
    },
    {
      path: '/work',
      name: 'work',
      component: () => import('./pages/WorkPage.vue'),
      meta: { permission: 'station:read' },
    },
    {
      path: '/work-orders/:id(\\d+)',
      name: 'work-order',
      component: () => import('./pages/WorkOrderPage.vue'),
      meta: { permission: 'station:read' },
      props: true,
    },
    {
      path: '/reports',
      name: 'reports',
      component: () => import('./pages/ReportsPage.vue'),
      meta: { permission: 'station:read' },
    },
    {
      path: '/reports/monthly',
      name: 'monthly',
      component: () => import('./pages/MonthlyPage.vue'),
      meta: { permission: 'station:read', print: true },
    },
    {
      path: '/planning',
      name: 'planning',
      component: () => import('./pages/PlanningPage.vue'),
      meta: { permission: 'planning:read' },
    },
    {
      path: '/planning/coverage',
      name: 'planning-coverage',
      component: () => import('./pages/PlanningCoveragePage.vue'),
      meta: { permission: 'planning:read' },
    },
    {
      path: '/planning/report',
      name: 'planning-report',
      component: () => import('./pages/PlanningReportPage.vue'),
      meta: { permission: 'planning:read', print: true },
    },
    {
      path: '/notices',
      name: 'notices',
      component: () => import('./pages/NoticesPage.vue'),
      meta: { permission: 'station:read' },
    },
    {
      path: '/rider-reports',
      name: 'rider-reports',
      component: () => import('./pages/RiderReportsPage.vue'),
      meta: { permission: 'report:triage' },
    },
    {
      path: '/rider-reports/:id(\\d+)',
      name: 'rider-report',
      component: () => import('./pages/RiderReportPage.vue'),
      meta: { permission: 'report:triage' },
      props: true,
    },
    {
      path: '/rider-reports/figures',
      name: 'rider-report-figures',
      component: () => import('./pages/RiderReportFiguresPage.vue'),
      meta: { permission: 'report:triage' },
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

const CREW_ROLES = new Set(['crew_member', 'crew_lead']);

/** Someone who fixes stations, on a phone: their first page is 我的工单. */
function crewOnPhone(): boolean {
  const crew = session.me?.grants.some((g) => CREW_ROLES.has(g.role)) ?? false;
  return crew && can('alert:write') && window.matchMedia('(max-width: 719px)').matches;
}

/** The first page the user may see. */
export function homeRoute(): RouteLocationRaw {
  if (!can('station:read')) return { name: 'account' };
  return crewOnPhone() ? { name: 'crew' } : { name: 'overview' };
}

router.beforeEach(async (to, from) => {
  if (!session.checked) await loadMe();
  if (to.meta.public) return true;
  if (!session.me) return { name: 'login', query: { next: to.fullPath } };
  // Opening the app at its front door (a bookmark of /app/) lands on the user's first page; the
  // overview stays one tap away in the menu.
  if (from === START_LOCATION && to.name === 'overview') {
    const home = homeRoute();
    if (typeof home === 'object' && 'name' in home && home.name !== 'overview') return home;
  }
  // Without the page's permission the address stays and App.vue shows 无权限 instead of the page.
  return true;
});

onLoginNeeded((reason) => {
  const next = router.currentRoute.value.fullPath;
  void router.replace({
    name: 'login',
    query: reason === 'expired' && !next.startsWith('/login') ? { reason, next } : { reason },
  });
});
