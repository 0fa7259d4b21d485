/**
 * `GET /api/v1/people?township=<code>` (station:read in that township): the enabled users who may
 * be assigned its alerts (alert:write there), `{people: [{id, displayName, roles, hasMobile}]}` by
 * name, for the assign menu; `role=grid_staff`: its grid members instead (riders' reports). Never
 * the mobile number itself. `township=*` (county-wide incidents)
 * lists the county's people, for county readers only.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { assignablePeople } from '../../alerts/people.js';
import { COUNTY_INCIDENT } from '../../alerts/repo.js';
import { ErrorBody, errorBody, pickLang } from '../../i18n.js';
import { mayIn } from '../township-access.js';
import { PeopleAnswer, PeopleQuery } from '../work-orders/schemas.js';

const peopleRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/api/v1/people',
    {
      schema: { querystring: PeopleQuery, response: { 200: PeopleAnswer, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const township = req.query.township;
      if (township !== COUNTY_INCIDENT && !app.hierarchy.get(township))
        return reply.code(404).send(errorBody('township_not_found', lang, { code: township }));
      if (!mayIn(app, req, reply, 'station:read', township)) return reply;
      return { people: await assignablePeople(app.ops.db, township, req.query.role) };
    },
  );
  done();
};
export default peopleRoutes;
