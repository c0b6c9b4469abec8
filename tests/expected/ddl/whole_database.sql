-- fixture files: base.sql pg14.sql pg15.sql extensions.sql icu.sql lz4.sql (written by tests/ddl_snapshots.rs)
--
-- PostgreSQL database schema dump by pgkeep
--
-- WARNING: user mapping for ddl_app on server ddl_srv: its password option is not dumped (set it again after restore)
-- WARNING: subscription ddl_sub has a password in its connection string: the script holds it, as pg_dump's does

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
SET default_table_access_method = heap;
SET default_tablespace = '';

--
-- Name: Odd "Schema" ü; Type: SCHEMA; Schema: -; Owner: ddl Odd "Role" é
--

CREATE SCHEMA "Odd ""Schema"" ü";
ALTER SCHEMA "Odd ""Schema"" ü" OWNER TO "ddl Odd ""Role"" é";
COMMENT ON SCHEMA "Odd ""Schema"" ü" IS 'quotes, spaces and ''unicode'' in names';
GRANT USAGE ON SCHEMA "Odd ""Schema"" ü" TO PUBLIC;

--
-- Name: Tenant C; Type: SCHEMA; Schema: -; Owner: ddl_tenant_owner
--

CREATE SCHEMA "Tenant C";
ALTER SCHEMA "Tenant C" OWNER TO ddl_tenant_owner;
COMMENT ON SCHEMA "Tenant C" IS 'tenant schema';
GRANT USAGE ON SCHEMA "Tenant C" TO ddl_app;

--
-- Name: ext; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA ext;
ALTER SCHEMA ext OWNER TO postgres;
COMMENT ON SCHEMA ext IS 'extensions live here';

--
-- Name: public; Type: SCHEMA; Schema: -; Owner: pg_database_owner
--

ALTER SCHEMA public OWNER TO pg_database_owner;
COMMENT ON SCHEMA public IS 'public schema, comment changed by the fixture';
REVOKE CREATE ON SCHEMA public FROM pg_database_owner;
GRANT USAGE ON SCHEMA public TO ddl_reader;
GRANT CREATE ON SCHEMA public TO ddl_app WITH GRANT OPTION;

--
-- Name: reporting; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA reporting;
ALTER SCHEMA reporting OWNER TO postgres;
GRANT CREATE,USAGE ON SCHEMA reporting TO ddl_app WITH GRANT OPTION;
GRANT USAGE ON SCHEMA reporting TO ddl_reader;

--
-- Name: select; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA "select";
ALTER SCHEMA "select" OWNER TO postgres;
COMMENT ON SCHEMA "select" IS 'a reserved word as a schema name';

--
-- Name: shared; Type: SCHEMA; Schema: -; Owner: ddl_owner
--

CREATE SCHEMA shared;
ALTER SCHEMA shared OWNER TO ddl_owner;
COMMENT ON SCHEMA shared IS 'Reference data every tenant points at';
GRANT USAGE ON SCHEMA shared TO ddl_app;
GRANT USAGE ON SCHEMA shared TO ddl_reader;
GRANT USAGE ON SCHEMA shared TO pg_database_owner;

--
-- Name: tenant_a; Type: SCHEMA; Schema: -; Owner: ddl_tenant_owner
--

CREATE SCHEMA tenant_a;
ALTER SCHEMA tenant_a OWNER TO ddl_tenant_owner;
COMMENT ON SCHEMA tenant_a IS 'tenant schema';
GRANT USAGE ON SCHEMA tenant_a TO ddl_app;

--
-- Name: tenant_b; Type: SCHEMA; Schema: -; Owner: ddl_tenant_owner
--

CREATE SCHEMA tenant_b;
ALTER SCHEMA tenant_b OWNER TO ddl_tenant_owner;
COMMENT ON SCHEMA tenant_b IS 'tenant schema';
GRANT USAGE ON SCHEMA tenant_b TO ddl_app;

--
-- Name: LANGUAGE plpgsql; Type: ACL; Schema: -; Owner: -
--

REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC;
GRANT USAGE ON LANGUAGE plpgsql TO ddl_app;

--
-- Name: TABLE information_schema.administrable_role_authorizations; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.administrable_role_authorizations TO PUBLIC;

--
-- Name: TABLE information_schema.applicable_roles; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.applicable_roles TO PUBLIC;

--
-- Name: TABLE information_schema.attributes; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.attributes TO PUBLIC;

--
-- Name: TABLE information_schema.character_sets; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.character_sets TO PUBLIC;

--
-- Name: TABLE information_schema.check_constraint_routine_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.check_constraint_routine_usage TO PUBLIC;

--
-- Name: TABLE information_schema.check_constraints; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.check_constraints TO PUBLIC;

--
-- Name: TABLE information_schema.collation_character_set_applicability; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.collation_character_set_applicability TO PUBLIC;

--
-- Name: TABLE information_schema.collations; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.collations TO PUBLIC;

--
-- Name: TABLE information_schema.column_column_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.column_column_usage TO PUBLIC;

--
-- Name: TABLE information_schema.column_domain_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.column_domain_usage TO PUBLIC;

--
-- Name: TABLE information_schema.column_options; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.column_options TO PUBLIC;

--
-- Name: TABLE information_schema.column_privileges; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.column_privileges TO PUBLIC;

--
-- Name: TABLE information_schema.column_udt_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.column_udt_usage TO PUBLIC;

--
-- Name: TABLE information_schema.columns; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.columns TO PUBLIC;

--
-- Name: TABLE information_schema.constraint_column_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.constraint_column_usage TO PUBLIC;

--
-- Name: TABLE information_schema.constraint_table_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.constraint_table_usage TO PUBLIC;

--
-- Name: TABLE information_schema.data_type_privileges; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.data_type_privileges TO PUBLIC;

--
-- Name: TABLE information_schema.domain_constraints; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.domain_constraints TO PUBLIC;

--
-- Name: TABLE information_schema.domain_udt_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.domain_udt_usage TO PUBLIC;

--
-- Name: TABLE information_schema.domains; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.domains TO PUBLIC;

--
-- Name: TABLE information_schema.element_types; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.element_types TO PUBLIC;

--
-- Name: TABLE information_schema.enabled_roles; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.enabled_roles TO PUBLIC;

--
-- Name: TABLE information_schema.foreign_data_wrapper_options; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.foreign_data_wrapper_options TO PUBLIC;

--
-- Name: TABLE information_schema.foreign_data_wrappers; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.foreign_data_wrappers TO PUBLIC;

--
-- Name: TABLE information_schema.foreign_server_options; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.foreign_server_options TO PUBLIC;

--
-- Name: TABLE information_schema.foreign_servers; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.foreign_servers TO PUBLIC;

--
-- Name: TABLE information_schema.foreign_table_options; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.foreign_table_options TO PUBLIC;

--
-- Name: TABLE information_schema.foreign_tables; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.foreign_tables TO PUBLIC;

--
-- Name: TABLE information_schema.information_schema_catalog_name; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.information_schema_catalog_name TO PUBLIC;

--
-- Name: TABLE information_schema.key_column_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.key_column_usage TO PUBLIC;

--
-- Name: TABLE information_schema.parameters; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.parameters TO PUBLIC;

--
-- Name: TABLE information_schema.referential_constraints; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.referential_constraints TO PUBLIC;

--
-- Name: TABLE information_schema.role_column_grants; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.role_column_grants TO PUBLIC;

--
-- Name: TABLE information_schema.role_routine_grants; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.role_routine_grants TO PUBLIC;

--
-- Name: TABLE information_schema.role_table_grants; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.role_table_grants TO PUBLIC;

--
-- Name: TABLE information_schema.role_udt_grants; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.role_udt_grants TO PUBLIC;

--
-- Name: TABLE information_schema.role_usage_grants; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.role_usage_grants TO PUBLIC;

--
-- Name: TABLE information_schema.routine_column_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.routine_column_usage TO PUBLIC;

--
-- Name: TABLE information_schema.routine_privileges; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.routine_privileges TO PUBLIC;

--
-- Name: TABLE information_schema.routine_routine_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.routine_routine_usage TO PUBLIC;

--
-- Name: TABLE information_schema.routine_sequence_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.routine_sequence_usage TO PUBLIC;

--
-- Name: TABLE information_schema.routine_table_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.routine_table_usage TO PUBLIC;

--
-- Name: TABLE information_schema.routines; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.routines TO PUBLIC;

--
-- Name: TABLE information_schema.schemata; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.schemata TO PUBLIC;

--
-- Name: TABLE information_schema.sequences; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.sequences TO PUBLIC;

--
-- Name: TABLE information_schema.sql_features; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.sql_features TO PUBLIC;

--
-- Name: TABLE information_schema.sql_implementation_info; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.sql_implementation_info TO PUBLIC;

--
-- Name: TABLE information_schema.sql_sizing; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.sql_sizing TO PUBLIC;

--
-- Name: TABLE information_schema.table_constraints; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.table_constraints TO PUBLIC;

--
-- Name: TABLE information_schema.table_privileges; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.table_privileges TO PUBLIC;

--
-- Name: TABLE information_schema.tables; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.tables TO PUBLIC;

--
-- Name: TABLE information_schema.triggered_update_columns; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.triggered_update_columns TO PUBLIC;

--
-- Name: TABLE information_schema.triggers; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.triggers TO PUBLIC;

--
-- Name: TABLE information_schema.udt_privileges; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.udt_privileges TO PUBLIC;

--
-- Name: TABLE information_schema.usage_privileges; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.usage_privileges TO PUBLIC;

--
-- Name: TABLE information_schema.user_defined_types; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.user_defined_types TO PUBLIC;

--
-- Name: TABLE information_schema.user_mapping_options; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.user_mapping_options TO PUBLIC;

--
-- Name: TABLE information_schema.user_mappings; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.user_mappings TO PUBLIC;

--
-- Name: TABLE information_schema.view_column_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.view_column_usage TO PUBLIC;

--
-- Name: TABLE information_schema.view_routine_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.view_routine_usage TO PUBLIC;

--
-- Name: TABLE information_schema.view_table_usage; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.view_table_usage TO PUBLIC;

--
-- Name: TABLE information_schema.views; Type: ACL; Schema: -; Owner: -
--

GRANT SELECT ON TABLE information_schema.views TO PUBLIC;

--
-- Name: TABLE pg_catalog.pg_proc (proname); Type: ACL; Schema: -; Owner: -
--

GRANT SELECT(proname) ON TABLE pg_catalog.pg_proc TO ddl_reader;

--
-- Name: TABLE pg_catalog.pg_proc (prosrc); Type: ACL; Schema: -; Owner: -
--

GRANT SELECT(prosrc) ON TABLE pg_catalog.pg_proc TO ddl_reader;

--
-- Name: TABLE pg_catalog.pg_proc (tableoid); Type: ACL; Schema: -; Owner: -
--

GRANT SELECT(tableoid) ON TABLE pg_catalog.pg_proc TO PUBLIC;

--
-- Name: btree_gist; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA ext VERSION '1.7';
COMMENT ON EXTENSION btree_gist IS 'support for indexing common datatypes in GiST';

--
-- Name: citext; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA ext VERSION '1.6';
COMMENT ON EXTENSION citext IS 'case-insensitive text (comment changed)';

--
-- Name: hstore; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA shared VERSION '1.8';
COMMENT ON EXTENSION hstore IS 'data type for storing sets of (key, value) pairs';

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA ext VERSION '1.6';
COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';

--
-- Name: FUNCTION ext.similarity(text,text); Type: ACL; Schema: -; Owner: -
--

GRANT EXECUTE ON FUNCTION ext.similarity(text,text) TO ddl_app;

--
-- Name: Posix Côll; Type: COLLATION; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE COLLATION "Odd ""Schema"" ü"."Posix Côll" (provider = libc, locale = 'POSIX');
ALTER COLLATION "Odd ""Schema"" ü"."Posix Côll" OWNER TO postgres;

--
-- Name: de phonebook; Type: COLLATION; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE COLLATION "Odd ""Schema"" ü"."de phonebook" (provider = icu, locale = 'de-u-co-phonebk');
ALTER COLLATION "Odd ""Schema"" ü"."de phonebook" OWNER TO postgres;

--
-- Name: c_bytes; Type: COLLATION; Schema: shared; Owner: ddl_owner
--

CREATE COLLATION shared.c_bytes (provider = libc, locale = 'C');
ALTER COLLATION shared.c_bytes OWNER TO ddl_owner;
COMMENT ON COLLATION shared.c_bytes IS 'byte order';

--
-- Name: c_copy; Type: COLLATION; Schema: shared; Owner: postgres
--

CREATE COLLATION shared.c_copy FROM pg_catalog."C";
ALTER COLLATION shared.c_copy OWNER TO postgres;
COMMENT ON COLLATION shared.c_copy IS 'copied from C';

--
-- Name: ci; Type: COLLATION; Schema: shared; Owner: postgres
--

CREATE COLLATION shared.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
ALTER COLLATION shared.ci OWNER TO postgres;
COMMENT ON COLLATION shared.ci IS 'nondeterministic ICU collation';

--
-- Name: Money Amount; Type: DOMAIN; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE DOMAIN "Odd ""Schema"" ü"."Money Amount" AS numeric(12,2) DEFAULT 0.00
	CONSTRAINT "Money Amount_check" CHECK ((VALUE >= (0)::numeric));
ALTER DOMAIN "Odd ""Schema"" ü"."Money Amount" OWNER TO postgres;

--
-- Name: money_pair; Type: TYPE; Schema: Tenant C; Owner: postgres
--

CREATE TYPE "Tenant C".money_pair AS (
    amount numeric(10,2),
    currency character(3)
);
ALTER TYPE "Tenant C".money_pair OWNER TO postgres;

--
-- Name: qty; Type: DOMAIN; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE DOMAIN "Tenant C".qty AS integer DEFAULT 0
	CONSTRAINT qty_nonneg CHECK ((VALUE >= 0));
ALTER DOMAIN "Tenant C".qty OWNER TO ddl_tenant_owner;

--
-- Name: status; Type: TYPE; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE TYPE "Tenant C".status AS ENUM (
    'new',
    'paid',
    'shipped'
);
ALTER TYPE "Tenant C".status OWNER TO ddl_tenant_owner;
GRANT USAGE ON TYPE "Tenant C".status TO ddl_reader;

--
-- Name: address; Type: TYPE; Schema: shared; Owner: ddl_owner
--

CREATE TYPE shared.address AS (
    street text COLLATE shared.c_bytes,
    city character varying(40),
    zip character(5),
    "Floor #" smallint
);
COMMENT ON COLUMN shared.address.city IS 'attribute comment';
ALTER TYPE shared.address OWNER TO ddl_owner;
COMMENT ON TYPE shared.address IS 'composite type';

--
-- Name: ddl_text; Type: SHELL TYPE; Schema: shared; Owner: postgres
--

CREATE TYPE shared.ddl_text;

--
-- Name: email; Type: DOMAIN; Schema: shared; Owner: ddl_owner
--

CREATE DOMAIN shared.email AS text COLLATE "C"
	CONSTRAINT "email short" CHECK ((length(VALUE) < 255))
	CONSTRAINT email_has_at CHECK ((VALUE ~~ '%@%'::text));
ALTER DOMAIN shared.email OWNER TO ddl_owner;
GRANT USAGE ON TYPE shared.email TO ddl_reader;

--
-- Name: floatrange; Type: TYPE; Schema: shared; Owner: postgres
--

CREATE TYPE shared.floatrange AS RANGE (
    subtype = double precision,
    subtype_diff = float8mi,
    multirange_type_name = shared.floatmultirange
);
ALTER TYPE shared.floatrange OWNER TO postgres;
COMMENT ON TYPE shared.floatrange IS 'range type (gets a multirange on 14+)';

--
-- Name: int_span; Type: TYPE; Schema: shared; Owner: postgres
--

CREATE TYPE shared.int_span AS RANGE (
    subtype = integer,
    multirange_type_name = shared.int_spans
);
COMMENT ON TYPE shared.int_spans IS 'named multirange';
ALTER TYPE shared.int_span OWNER TO postgres;

--
-- Name: mood; Type: TYPE; Schema: shared; Owner: ddl_owner
--

CREATE TYPE shared.mood AS ENUM (
    'sad',
    'meh',
    'ok',
    'happy',
    'ecstatic',
    'it''s "odd"'
);
ALTER TYPE shared.mood OWNER TO ddl_owner;
COMMENT ON TYPE shared.mood IS 'an enum with values added later';
REVOKE USAGE ON TYPE shared.mood FROM PUBLIC;
GRANT USAGE ON TYPE shared.mood TO ddl_app;

--
-- Name: positive_int; Type: DOMAIN; Schema: shared; Owner: postgres
--

CREATE DOMAIN shared.positive_int AS integer DEFAULT 1 NOT NULL
	CONSTRAINT positive_int_check CHECK ((VALUE > 0));
COMMENT ON CONSTRAINT positive_int_check ON DOMAIN shared.positive_int IS 'domain constraint comment';
ALTER DOMAIN shared.positive_int OWNER TO postgres;
COMMENT ON DOMAIN shared.positive_int IS 'domain with default, NOT NULL and a named CHECK';

--
-- Name: textrange; Type: TYPE; Schema: shared; Owner: postgres
--

CREATE TYPE shared.textrange AS RANGE (
    subtype = text,
    collation = shared.c_bytes,
    multirange_type_name = shared.textmultirange
);
ALTER TYPE shared.textrange OWNER TO postgres;

--
-- Name: money_pair; Type: TYPE; Schema: tenant_a; Owner: postgres
--

CREATE TYPE tenant_a.money_pair AS (
    amount numeric(10,2),
    currency character(3)
);
ALTER TYPE tenant_a.money_pair OWNER TO postgres;

--
-- Name: qty; Type: DOMAIN; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE DOMAIN tenant_a.qty AS integer DEFAULT 0
	CONSTRAINT qty_nonneg CHECK ((VALUE >= 0));
ALTER DOMAIN tenant_a.qty OWNER TO ddl_tenant_owner;

--
-- Name: status; Type: TYPE; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE TYPE tenant_a.status AS ENUM (
    'new',
    'paid',
    'shipped'
);
ALTER TYPE tenant_a.status OWNER TO ddl_tenant_owner;
GRANT USAGE ON TYPE tenant_a.status TO ddl_reader;

--
-- Name: money_pair; Type: TYPE; Schema: tenant_b; Owner: postgres
--

CREATE TYPE tenant_b.money_pair AS (
    amount numeric(10,2),
    currency character(3)
);
ALTER TYPE tenant_b.money_pair OWNER TO postgres;

--
-- Name: qty; Type: DOMAIN; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE DOMAIN tenant_b.qty AS integer DEFAULT 0
	CONSTRAINT qty_nonneg CHECK ((VALUE >= 0));
ALTER DOMAIN tenant_b.qty OWNER TO ddl_tenant_owner;

--
-- Name: status; Type: TYPE; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE TYPE tenant_b.status AS ENUM (
    'new',
    'paid',
    'shipped'
);
ALTER TYPE tenant_b.status OWNER TO ddl_tenant_owner;
GRANT USAGE ON TYPE tenant_b.status TO ddl_reader;

--
-- Name: Odd "Func" ñ("select" integer, "user" text); Type: FUNCTION; Schema: Odd "Schema" ü; Owner: ddl Odd "Role" é
--

CREATE FUNCTION "Odd ""Schema"" ü"."Odd ""Func"" ñ"("select" integer, "user" text DEFAULT 'x'::text) RETURNS text
    LANGUAGE sql
    IMMUTABLE
    AS $$SELECT repeat("user", "select")$$;
ALTER FUNCTION "Odd ""Schema"" ü"."Odd ""Func"" ñ"("select" integer, "user" text) OWNER TO "ddl Odd ""Role"" é";

--
-- Name: add(a integer, b integer); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.add(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql
    IMMUTABLE
    STRICT
    PARALLEL SAFE
    COST 5
    AS $$SELECT a + b$$;
ALTER FUNCTION shared.add(a integer, b integer) OWNER TO postgres;
COMMENT ON FUNCTION shared.add(a integer, b integer) IS 'SQL function with a default';
REVOKE EXECUTE ON FUNCTION shared.add(a integer, b integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shared.add(a integer, b integer) TO ddl_app;

--
-- Name: addr_other_city(shared.address, shared.address); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.addr_other_city(shared.address, shared.address) RETURNS boolean
    LANGUAGE sql
    IMMUTABLE
    STRICT
    AS $$SELECT $1.city <> $2.city$$;
ALTER FUNCTION shared.addr_other_city(shared.address, shared.address) OWNER TO postgres;

--
-- Name: addr_same_city(shared.address, shared.address); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.addr_same_city(shared.address, shared.address) RETURNS boolean
    LANGUAGE sql
    IMMUTABLE
    STRICT
    AS $$SELECT $1.city = $2.city$$;
ALTER FUNCTION shared.addr_same_city(shared.address, shared.address) OWNER TO postgres;

--
-- Name: address_text(shared.address); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.address_text(shared.address) RETURNS text
    LANGUAGE sql
    IMMUTABLE
    STRICT
    AS $$SELECT concat_ws(', ', $1.street, $1.city, $1.zip)$$;
ALTER FUNCTION shared.address_text(shared.address) OWNER TO postgres;

--
-- Name: audit_trigger(); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.audit_trigger() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RETURN NEW; END $$;
ALTER FUNCTION shared.audit_trigger() OWNER TO postgres;

--
-- Name: bump_seq(INOUT n integer); Type: PROCEDURE; Schema: shared; Owner: ddl_owner
--

CREATE PROCEDURE shared.bump_seq(INOUT n integer DEFAULT 0)
    LANGUAGE plpgsql
    AS $$
BEGIN
    n := n + 1;
END
$$;
ALTER PROCEDURE shared.bump_seq(INOUT n integer) OWNER TO ddl_owner;
COMMENT ON PROCEDURE shared.bump_seq(INOUT n integer) IS 'a procedure';
REVOKE EXECUTE ON PROCEDURE shared.bump_seq(INOUT n integer) FROM PUBLIC;

--
-- Name: currency_list(min_units integer); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.currency_list(min_units integer DEFAULT 0) RETURNS TABLE(code character, units smallint)
    LANGUAGE sql
    STABLE
    ROWS 10
    AS $$SELECT c.code, c.minor_units FROM shared.currencies c WHERE c.minor_units >= min_units$$;
ALTER FUNCTION shared.currency_list(min_units integer) OWNER TO postgres;

--
-- Name: ddl_pl_handler(); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_pl_handler() RETURNS language_handler
    LANGUAGE c
    AS '$libdir/plpgsql', 'plpgsql_call_handler';
ALTER FUNCTION shared.ddl_pl_handler() OWNER TO postgres;

--
-- Name: ddl PL "untrusted"; Type: PROCEDURAL LANGUAGE; Schema: -; Owner: postgres
--

CREATE PROCEDURAL LANGUAGE "ddl PL ""untrusted""" HANDLER shared.ddl_pl_handler;
ALTER LANGUAGE "ddl PL ""untrusted""" OWNER TO postgres;

--
-- Name: ddl_pl_inline(internal); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_pl_inline(internal) RETURNS void
    LANGUAGE c
    STRICT
    AS '$libdir/plpgsql', 'plpgsql_inline_handler';
ALTER FUNCTION shared.ddl_pl_inline(internal) OWNER TO postgres;

--
-- Name: ddl_pl_validator(oid); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_pl_validator(oid) RETURNS void
    LANGUAGE c
    STRICT
    AS '$libdir/plpgsql', 'plpgsql_validator';
ALTER FUNCTION shared.ddl_pl_validator(oid) OWNER TO postgres;

--
-- Name: ddl_pl; Type: PROCEDURAL LANGUAGE; Schema: -; Owner: ddl_owner
--

CREATE TRUSTED PROCEDURAL LANGUAGE ddl_pl HANDLER shared.ddl_pl_handler INLINE shared.ddl_pl_inline VALIDATOR shared.ddl_pl_validator;
ALTER LANGUAGE ddl_pl OWNER TO ddl_owner;
COMMENT ON LANGUAGE ddl_pl IS 'a language of our own';
REVOKE USAGE ON LANGUAGE ddl_pl FROM PUBLIC;
GRANT USAGE ON LANGUAGE ddl_pl TO ddl_app;

--
-- Name: ddl_text_in(cstring); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_text_in(cstring) RETURNS shared.ddl_text
    LANGUAGE internal
    IMMUTABLE
    STRICT
    PARALLEL SAFE
    AS 'textin';
ALTER FUNCTION shared.ddl_text_in(cstring) OWNER TO postgres;

--
-- Name: ddl_text_out(shared.ddl_text); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_text_out(shared.ddl_text) RETURNS cstring
    LANGUAGE internal
    IMMUTABLE
    STRICT
    PARALLEL SAFE
    AS 'textout';
ALTER FUNCTION shared.ddl_text_out(shared.ddl_text) OWNER TO postgres;

--
-- Name: ddl_text; Type: TYPE; Schema: shared; Owner: postgres
--

CREATE TYPE shared.ddl_text (
    INTERNALLENGTH = variable,
    INPUT = shared.ddl_text_in,
    OUTPUT = shared.ddl_text_out,
    ALIGNMENT = int4,
    STORAGE = extended,
    CATEGORY = 'S',
    COLLATABLE = true
);
ALTER TYPE shared.ddl_text OWNER TO postgres;
COMMENT ON TYPE shared.ddl_text IS 'base type over text';

--
-- Name: ddl_text_cmp(shared.ddl_text, shared.ddl_text); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_text_cmp(shared.ddl_text, shared.ddl_text) RETURNS integer
    LANGUAGE internal
    IMMUTABLE
    STRICT
    AS 'bttextcmp';
ALTER FUNCTION shared.ddl_text_cmp(shared.ddl_text, shared.ddl_text) OWNER TO postgres;

--
-- Name: ddl_text_eq(shared.ddl_text, shared.ddl_text); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_text_eq(shared.ddl_text, shared.ddl_text) RETURNS boolean
    LANGUAGE internal
    IMMUTABLE
    STRICT
    AS 'texteq';
ALTER FUNCTION shared.ddl_text_eq(shared.ddl_text, shared.ddl_text) OWNER TO postgres;

--
-- Name: ddl_text_ge(shared.ddl_text, shared.ddl_text); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_text_ge(shared.ddl_text, shared.ddl_text) RETURNS boolean
    LANGUAGE internal
    IMMUTABLE
    STRICT
    AS 'text_ge';
ALTER FUNCTION shared.ddl_text_ge(shared.ddl_text, shared.ddl_text) OWNER TO postgres;

--
-- Name: ddl_text_gt(shared.ddl_text, shared.ddl_text); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_text_gt(shared.ddl_text, shared.ddl_text) RETURNS boolean
    LANGUAGE internal
    IMMUTABLE
    STRICT
    AS 'text_gt';
ALTER FUNCTION shared.ddl_text_gt(shared.ddl_text, shared.ddl_text) OWNER TO postgres;

--
-- Name: ddl_text_le(shared.ddl_text, shared.ddl_text); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_text_le(shared.ddl_text, shared.ddl_text) RETURNS boolean
    LANGUAGE internal
    IMMUTABLE
    STRICT
    AS 'text_le';
ALTER FUNCTION shared.ddl_text_le(shared.ddl_text, shared.ddl_text) OWNER TO postgres;

--
-- Name: ddl_text_lt(shared.ddl_text, shared.ddl_text); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.ddl_text_lt(shared.ddl_text, shared.ddl_text) RETURNS boolean
    LANGUAGE internal
    IMMUTABLE
    STRICT
    AS 'text_lt';
ALTER FUNCTION shared.ddl_text_lt(shared.ddl_text, shared.ddl_text) OWNER TO postgres;

--
-- Name: in_ddl_pl(a integer); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.in_ddl_pl(a integer) RETURNS integer
    LANGUAGE ddl_pl
    AS $$ BEGIN RETURN a + 1; END $$;
ALTER FUNCTION shared.in_ddl_pl(a integer) OWNER TO postgres;

--
-- Name: my_row_number(); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.my_row_number() RETURNS bigint
    LANGUAGE internal
    WINDOW
    IMMUTABLE
    AS 'window_row_number';
ALTER FUNCTION shared.my_row_number() OWNER TO postgres;

--
-- Name: noop_trigger(); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.noop_trigger() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_LEVEL = 'ROW' AND TG_OP <> 'DELETE' THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$;
ALTER FUNCTION shared.noop_trigger() OWNER TO postgres;

--
-- Name: num_final(numeric); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.num_final(numeric) RETURNS numeric
    LANGUAGE sql
    IMMUTABLE
    STRICT
    AS $$SELECT round($1, 2)$$;
ALTER FUNCTION shared.num_final(numeric) OWNER TO postgres;

--
-- Name: on_ddl(); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.on_ddl() RETURNS event_trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NULL; END $$;
ALTER FUNCTION shared.on_ddl() OWNER TO postgres;

--
-- Name: proc_out(IN a integer, OUT b integer); Type: PROCEDURE; Schema: shared; Owner: postgres
--

CREATE PROCEDURE shared.proc_out(IN a integer, OUT b integer)
    LANGUAGE plpgsql
    AS $$ BEGIN b := a * 2; END $$;
ALTER PROCEDURE shared.proc_out(IN a integer, OUT b integer) OWNER TO postgres;

--
-- Name: split_name(full_name text, OUT first_name text, OUT last_name text); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.split_name(full_name text, OUT first_name text, OUT last_name text) RETURNS record
    LANGUAGE plpgsql
    STABLE
    LEAKPROOF
    AS $$
BEGIN
    first_name := split_part(full_name, ' ', 1);
    last_name := split_part(full_name, ' ', 2);
END
$$;
ALTER FUNCTION shared.split_name(full_name text, OUT first_name text, OUT last_name text) OWNER TO postgres;

--
-- Name: std_add(a integer, b integer); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.std_add(a integer, b integer DEFAULT 2) RETURNS integer
    LANGUAGE sql
    IMMUTABLE
    PARALLEL SAFE
RETURN (a + b);
ALTER FUNCTION shared.std_add(a integer, b integer) OWNER TO postgres;
COMMENT ON FUNCTION shared.std_add(a integer, b integer) IS 'RETURN body';

--
-- Name: sum_all(VARIADIC nums integer[]); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.sum_all(VARIADIC nums integer[]) RETURNS bigint
    LANGUAGE sql
    IMMUTABLE
    SET work_mem TO '8MB'
    SET search_path TO 'shared', 'Odd "Schema" ü'
    AS $$SELECT sum(n) FROM unnest(nums) AS n$$;
ALTER FUNCTION shared.sum_all(VARIADIC nums integer[]) OWNER TO postgres;

--
-- Name: touch_row(); Type: FUNCTION; Schema: shared; Owner: ddl_owner
--

CREATE FUNCTION shared.touch_row() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
ALTER FUNCTION shared.touch_row() OWNER TO ddl_owner;
COMMENT ON FUNCTION shared.touch_row() IS 'BEFORE UPDATE trigger';

--
-- Name: ddl_heap; Type: ACCESS METHOD; Schema: -; Owner: -
--

CREATE ACCESS METHOD ddl_heap TYPE TABLE HANDLER heap_tableam_handler;
COMMENT ON ACCESS METHOD ddl_heap IS 'heap under another name';

--
-- Name: msum(integer); Type: AGGREGATE; Schema: shared; Owner: postgres
--

CREATE AGGREGATE shared.msum(integer) (
    SFUNC = int4pl,
    STYPE = integer,
    INITCOND = '0',
    MSFUNC = int4pl,
    MINVFUNC = int4mi,
    MSTYPE = integer,
    MINITCOND = '0'
);
ALTER AGGREGATE shared.msum(integer) OWNER TO postgres;

--
-- Name: my_max(integer); Type: AGGREGATE; Schema: shared; Owner: postgres
--

CREATE AGGREGATE shared.my_max(integer) (
    SFUNC = int4larger,
    STYPE = integer,
    SORTOP = OPERATOR(pg_catalog.>)
);
ALTER AGGREGATE shared.my_max(integer) OWNER TO postgres;

--
-- Name: my_percentile(double precision ORDER BY anyelement); Type: AGGREGATE; Schema: shared; Owner: postgres
--

CREATE AGGREGATE shared.my_percentile(double precision ORDER BY anyelement) (
    SFUNC = ordered_set_transition,
    STYPE = internal,
    FINALFUNC = percentile_disc_final,
    FINALFUNC_EXTRA,
    FINALFUNC_MODIFY = READ_WRITE
);
ALTER AGGREGATE shared.my_percentile(double precision ORDER BY anyelement) OWNER TO postgres;

--
-- Name: my_rank(VARIADIC "any" ORDER BY VARIADIC "any"); Type: AGGREGATE; Schema: shared; Owner: postgres
--

CREATE AGGREGATE shared.my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (
    SFUNC = ordered_set_transition_multi,
    STYPE = internal,
    FINALFUNC = rank_final,
    FINALFUNC_EXTRA,
    FINALFUNC_MODIFY = READ_WRITE,
    HYPOTHETICAL
);
ALTER AGGREGATE shared.my_rank(VARIADIC "any" ORDER BY VARIADIC "any") OWNER TO postgres;

--
-- Name: product(numeric); Type: AGGREGATE; Schema: shared; Owner: ddl_owner
--

CREATE AGGREGATE shared.product(numeric) (
    SFUNC = numeric_mul,
    STYPE = numeric,
    FINALFUNC = shared.num_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = numeric_mul,
    INITCOND = '1',
    PARALLEL = safe
);
ALTER AGGREGATE shared.product(numeric) OWNER TO ddl_owner;
COMMENT ON AGGREGATE shared.product(numeric) IS 'normal aggregate';

--
-- Name: !== (shared.address, shared.address); Type: OPERATOR; Schema: shared; Owner: postgres
--

CREATE OPERATOR shared.!== (
    FUNCTION = shared.addr_other_city,
    LEFTARG = shared.address,
    RIGHTARG = shared.address,
    COMMUTATOR = OPERATOR(public.!==),
    NEGATOR = OPERATOR(public.===),
    RESTRICT = neqsel,
    JOIN = neqjoinsel
);
ALTER OPERATOR shared.!== (shared.address, shared.address) OWNER TO postgres;

--
-- Name: < (shared.ddl_text, shared.ddl_text); Type: OPERATOR; Schema: shared; Owner: postgres
--

CREATE OPERATOR shared.< (
    FUNCTION = shared.ddl_text_lt,
    LEFTARG = shared.ddl_text,
    RIGHTARG = shared.ddl_text,
    COMMUTATOR = OPERATOR(shared.>),
    NEGATOR = OPERATOR(shared.>=),
    RESTRICT = scalarltsel,
    JOIN = scalarltjoinsel
);
ALTER OPERATOR shared.< (shared.ddl_text, shared.ddl_text) OWNER TO postgres;
COMMENT ON OPERATOR shared.< (shared.ddl_text, shared.ddl_text) IS 'less than';

--
-- Name: <= (shared.ddl_text, shared.ddl_text); Type: OPERATOR; Schema: shared; Owner: postgres
--

CREATE OPERATOR shared.<= (
    FUNCTION = shared.ddl_text_le,
    LEFTARG = shared.ddl_text,
    RIGHTARG = shared.ddl_text,
    COMMUTATOR = OPERATOR(shared.>=),
    NEGATOR = OPERATOR(shared.>),
    RESTRICT = scalarlesel,
    JOIN = scalarlejoinsel
);
ALTER OPERATOR shared.<= (shared.ddl_text, shared.ddl_text) OWNER TO postgres;

--
-- Name: = (shared.ddl_text, shared.ddl_text); Type: OPERATOR; Schema: shared; Owner: ddl_owner
--

CREATE OPERATOR shared.= (
    FUNCTION = shared.ddl_text_eq,
    LEFTARG = shared.ddl_text,
    RIGHTARG = shared.ddl_text,
    COMMUTATOR = OPERATOR(shared.=),
    RESTRICT = eqsel,
    JOIN = eqjoinsel,
    MERGES
);
ALTER OPERATOR shared.= (shared.ddl_text, shared.ddl_text) OWNER TO ddl_owner;

--
-- Name: === (shared.address, shared.address); Type: OPERATOR; Schema: shared; Owner: postgres
--

CREATE OPERATOR shared.=== (
    FUNCTION = shared.addr_same_city,
    LEFTARG = shared.address,
    RIGHTARG = shared.address,
    COMMUTATOR = OPERATOR(public.===),
    NEGATOR = OPERATOR(public.!==),
    RESTRICT = eqsel,
    JOIN = eqjoinsel
);
ALTER OPERATOR shared.=== (shared.address, shared.address) OWNER TO postgres;

--
-- Name: > (shared.ddl_text, shared.ddl_text); Type: OPERATOR; Schema: shared; Owner: postgres
--

CREATE OPERATOR shared.> (
    FUNCTION = shared.ddl_text_gt,
    LEFTARG = shared.ddl_text,
    RIGHTARG = shared.ddl_text,
    COMMUTATOR = OPERATOR(shared.<),
    NEGATOR = OPERATOR(shared.<=),
    RESTRICT = scalargtsel,
    JOIN = scalargtjoinsel
);
ALTER OPERATOR shared.> (shared.ddl_text, shared.ddl_text) OWNER TO postgres;

--
-- Name: >= (shared.ddl_text, shared.ddl_text); Type: OPERATOR; Schema: shared; Owner: postgres
--

CREATE OPERATOR shared.>= (
    FUNCTION = shared.ddl_text_ge,
    LEFTARG = shared.ddl_text,
    RIGHTARG = shared.ddl_text,
    COMMUTATOR = OPERATOR(shared.<=),
    NEGATOR = OPERATOR(shared.<),
    RESTRICT = scalargesel,
    JOIN = scalargejoinsel
);
ALTER OPERATOR shared.>= (shared.ddl_text, shared.ddl_text) OWNER TO postgres;

--
-- Name: @# (NONE, shared.address); Type: OPERATOR; Schema: shared; Owner: postgres
--

CREATE OPERATOR shared.@# (
    FUNCTION = shared.address_text,
    RIGHTARG = shared.address
);
ALTER OPERATOR shared.@# (NONE, shared.address) OWNER TO postgres;

--
-- Name: rev int4 ops; Type: OPERATOR FAMILY; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE OPERATOR FAMILY "Odd ""Schema"" ü"."rev int4 ops" USING btree;
ALTER OPERATOR FAMILY "Odd ""Schema"" ü"."rev int4 ops" USING btree OWNER TO postgres;

--
-- Name: ddl_text_ops; Type: OPERATOR FAMILY; Schema: shared; Owner: postgres
--

CREATE OPERATOR FAMILY shared.ddl_text_ops USING btree;
ALTER OPERATOR FAMILY shared.ddl_text_ops USING btree ADD
    FUNCTION 4 (shared.ddl_text, shared.ddl_text) btequalimage(oid);
ALTER OPERATOR FAMILY shared.ddl_text_ops USING btree OWNER TO postgres;
COMMENT ON OPERATOR FAMILY shared.ddl_text_ops USING btree IS 'family';

--
-- Name: rev int4 ops; Type: OPERATOR CLASS; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE OPERATOR CLASS "Odd ""Schema"" ü"."rev int4 ops"
    FOR TYPE integer USING btree FAMILY "Odd ""Schema"" ü"."rev int4 ops" AS
    OPERATOR 1 >(integer,integer),
    OPERATOR 2 >=(integer,integer),
    OPERATOR 3 =(integer,integer),
    OPERATOR 4 <=(integer,integer),
    OPERATOR 5 <(integer,integer),
    FUNCTION 1 (integer, integer) btint4cmp(integer,integer);
ALTER OPERATOR CLASS "Odd ""Schema"" ü"."rev int4 ops" USING btree OWNER TO postgres;

--
-- Name: ddl_text_ops; Type: OPERATOR CLASS; Schema: shared; Owner: postgres
--

CREATE OPERATOR CLASS shared.ddl_text_ops
    DEFAULT FOR TYPE shared.ddl_text USING btree FAMILY shared.ddl_text_ops AS
    OPERATOR 1 shared.<(shared.ddl_text,shared.ddl_text),
    OPERATOR 2 shared.<=(shared.ddl_text,shared.ddl_text),
    OPERATOR 3 shared.=(shared.ddl_text,shared.ddl_text),
    OPERATOR 4 shared.>=(shared.ddl_text,shared.ddl_text),
    OPERATOR 5 shared.>(shared.ddl_text,shared.ddl_text),
    FUNCTION 1 (shared.ddl_text, shared.ddl_text) shared.ddl_text_cmp(shared.ddl_text,shared.ddl_text);
ALTER OPERATOR CLASS shared.ddl_text_ops USING btree OWNER TO postgres;
COMMENT ON OPERATOR CLASS shared.ddl_text_ops USING btree IS 'default btree class';

--
-- Name: Default Conv; Type: CONVERSION; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE DEFAULT CONVERSION "Odd ""Schema"" ü"."Default Conv" FOR 'UTF8' TO 'LATIN1' FROM utf8_to_iso8859_1;
ALTER CONVERSION "Odd ""Schema"" ü"."Default Conv" OWNER TO postgres;

--
-- Name: utf8_to_latin1_conv; Type: CONVERSION; Schema: shared; Owner: ddl_owner
--

CREATE CONVERSION shared.utf8_to_latin1_conv FOR 'UTF8' TO 'LATIN1' FROM utf8_to_iso8859_1;
ALTER CONVERSION shared.utf8_to_latin1_conv OWNER TO ddl_owner;
COMMENT ON CONVERSION shared.utf8_to_latin1_conv IS 'conversion';

--
-- Name: Copy Of English; Type: TEXT SEARCH CONFIGURATION; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English" (
    PARSER = "default" );
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR asciiword WITH english_stem;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR word WITH english_stem;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR numword WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR email WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR url WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR host WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR sfloat WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR version WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR hword_numpart WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR hword_part WITH english_stem;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR hword_asciipart WITH english_stem;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR numhword WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR asciihword WITH english_stem;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR hword WITH english_stem;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR url_path WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR file WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR "float" WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR "int" WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English"
    ADD MAPPING FOR uint WITH simple;
ALTER TEXT SEARCH CONFIGURATION "Odd ""Schema"" ü"."Copy Of English" OWNER TO postgres;

--
-- Name: ddl_parser; Type: TEXT SEARCH PARSER; Schema: shared; Owner: -
--

CREATE TEXT SEARCH PARSER shared.ddl_parser (
    START = prsd_start,
    GETTOKEN = prsd_nexttoken,
    END = prsd_end,
    LEXTYPES = prsd_lextype,
    HEADLINE = prsd_headline
);
COMMENT ON TEXT SEARCH PARSER shared.ddl_parser IS 'parser';

--
-- Name: ddl_template; Type: TEXT SEARCH TEMPLATE; Schema: shared; Owner: -
--

CREATE TEXT SEARCH TEMPLATE shared.ddl_template (
    INIT = dsimple_init,
    LEXIZE = dsimple_lexize
);
COMMENT ON TEXT SEARCH TEMPLATE shared.ddl_template IS 'template';

--
-- Name: ddl_dict; Type: TEXT SEARCH DICTIONARY; Schema: shared; Owner: ddl_owner
--

CREATE TEXT SEARCH DICTIONARY shared.ddl_dict (
    TEMPLATE = shared.ddl_template, stopwords = 'english', accept = 'false' );
ALTER TEXT SEARCH DICTIONARY shared.ddl_dict OWNER TO ddl_owner;
COMMENT ON TEXT SEARCH DICTIONARY shared.ddl_dict IS 'dictionary';

--
-- Name: ddl_config; Type: TEXT SEARCH CONFIGURATION; Schema: shared; Owner: ddl_owner
--

CREATE TEXT SEARCH CONFIGURATION shared.ddl_config (
    PARSER = shared.ddl_parser );
ALTER TEXT SEARCH CONFIGURATION shared.ddl_config
    ADD MAPPING FOR asciiword WITH shared.ddl_dict, simple;
ALTER TEXT SEARCH CONFIGURATION shared.ddl_config
    ADD MAPPING FOR word WITH shared.ddl_dict, simple;
ALTER TEXT SEARCH CONFIGURATION shared.ddl_config
    ADD MAPPING FOR "int" WITH simple;
ALTER TEXT SEARCH CONFIGURATION shared.ddl_config
    ADD MAPPING FOR uint WITH simple;
ALTER TEXT SEARCH CONFIGURATION shared.ddl_config OWNER TO ddl_owner;
COMMENT ON TEXT SEARCH CONFIGURATION shared.ddl_config IS 'configuration';

--
-- Name: shared.address AS text; Type: CAST; Schema: -; Owner: -
--

CREATE CAST (shared.address AS text) WITH FUNCTION shared.address_text(shared.address);
COMMENT ON CAST (shared.address AS text) IS 'cast with a function';

--
-- Name: shared.ddl_text AS text; Type: CAST; Schema: -; Owner: -
--

CREATE CAST (shared.ddl_text AS text) WITHOUT FUNCTION AS IMPLICIT;

--
-- Name: shared.mood AS shared.ddl_text; Type: CAST; Schema: -; Owner: -
--

CREATE CAST (shared.mood AS shared.ddl_text) WITH INOUT;

--
-- Name: text AS shared.ddl_text; Type: CAST; Schema: -; Owner: -
--

CREATE CAST (text AS shared.ddl_text) WITHOUT FUNCTION AS ASSIGNMENT;

--
-- Name: ddl Odd FDW; Type: FOREIGN DATA WRAPPER; Schema: -; Owner: postgres
--

CREATE FOREIGN DATA WRAPPER "ddl Odd FDW" VALIDATOR postgresql_fdw_validator;
ALTER FOREIGN DATA WRAPPER "ddl Odd FDW" OWNER TO postgres;

--
-- Name: ddl_dummy_fdw; Type: FOREIGN DATA WRAPPER; Schema: -; Owner: postgres
--

CREATE FOREIGN DATA WRAPPER ddl_dummy_fdw OPTIONS (debug 'true');
ALTER FOREIGN DATA WRAPPER ddl_dummy_fdw OWNER TO postgres;
COMMENT ON FOREIGN DATA WRAPPER ddl_dummy_fdw IS 'wrapper without handler';
GRANT USAGE ON FOREIGN DATA WRAPPER ddl_dummy_fdw TO ddl_owner;
GRANT USAGE ON FOREIGN DATA WRAPPER ddl_dummy_fdw TO ddl_app;

--
-- Name: ddl Srv "2"; Type: SERVER; Schema: -; Owner: postgres
--

CREATE SERVER "ddl Srv ""2""" TYPE 'oracle' VERSION '19c' FOREIGN DATA WRAPPER ddl_dummy_fdw;
ALTER SERVER "ddl Srv ""2""" OWNER TO postgres;

--
-- Name: ddl_srv; Type: SERVER; Schema: -; Owner: ddl_owner
--

CREATE SERVER ddl_srv FOREIGN DATA WRAPPER ddl_dummy_fdw OPTIONS (host 'db.example', port '5433');
ALTER SERVER ddl_srv OWNER TO ddl_owner;
COMMENT ON SERVER ddl_srv IS 'server';
GRANT USAGE ON FOREIGN SERVER ddl_srv TO ddl_app;

--
-- Name: USER MAPPING ddl_app SERVER ddl_srv; Type: USER MAPPING; Schema: -; Owner: -
--

CREATE USER MAPPING FOR ddl_app SERVER ddl_srv OPTIONS ("user" 'remote_app');

--
-- Name: USER MAPPING postgres SERVER ddl Srv "2"; Type: USER MAPPING; Schema: -; Owner: -
--

CREATE USER MAPPING FOR postgres SERVER "ddl Srv ""2""";

--
-- Name: USER MAPPING public SERVER ddl_srv; Type: USER MAPPING; Schema: -; Owner: -
--

CREATE USER MAPPING FOR PUBLIC SERVER ddl_srv OPTIONS ("user" 'anon');

--
-- Name: Seq "Q" ñ; Type: SEQUENCE; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE SEQUENCE "Odd ""Schema"" ü"."Seq ""Q"" ñ"
    AS bigint
    START WITH 7
    INCREMENT BY 1
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1;
ALTER SEQUENCE "Odd ""Schema"" ü"."Seq ""Q"" ñ" OWNER TO postgres;

--
-- Name: Weird "Table" Name; Type: TABLE; Schema: Odd "Schema" ü; Owner: ddl Odd "Role" é
--

CREATE TABLE "Odd ""Schema"" ü"."Weird ""Table"" Name" (
    "select" integer NOT NULL GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "Odd ""Schema"" ü"."Weird ""Table"" Name_select_seq"
    START WITH 1
    INCREMENT BY 1
    MINVALUE 1
    MAXVALUE 2147483647
    CACHE 1
),
    "Col With Space" "Odd ""Schema"" ü"."Money Amount",
    "ÜñíçødéCol" text COLLATE "Odd ""Schema"" ü"."Posix Côll",
    parent integer,
    currency character(3)
);
ALTER TABLE "Odd ""Schema"" ü"."Weird ""Table"" Name" OWNER TO "ddl Odd ""Role"" é";
COMMENT ON TABLE "Odd ""Schema"" ü"."Weird ""Table"" Name" IS 'multi-line
comment with ''quotes''';
COMMENT ON COLUMN "Odd ""Schema"" ü"."Weird ""Table"" Name"."ÜñíçødéCol" IS 'ünïcödé';
GRANT SELECT("select") ON TABLE "Odd ""Schema"" ü"."Weird ""Table"" Name" TO ddl_reader;
GRANT INSERT("Col With Space"),SELECT("Col With Space") ON TABLE "Odd ""Schema"" ü"."Weird ""Table"" Name" TO ddl_reader;

--
-- Name: audit_log; Type: TABLE; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE TABLE "Tenant C".audit_log (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "Tenant C".audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1
),
    at timestamp with time zone DEFAULT now(),
    what text NOT NULL
);
ALTER TABLE "Tenant C".audit_log OWNER TO ddl_tenant_owner;
COMMENT ON TABLE "Tenant C".audit_log IS 'nothing depends on this table';
GRANT INSERT ON TABLE "Tenant C".audit_log TO ddl_app;

--
-- Name: customers; Type: TABLE; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE TABLE "Tenant C".customers (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME "Tenant C".customers_id_seq
    START WITH 1000
    INCREMENT BY 10
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 20
),
    email shared.email NOT NULL,
    name character varying(200) NOT NULL,
    home shared.address,
    mood shared.mood DEFAULT 'ok'::shared.mood,
    created timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP(3) NOT NULL,
    referrer bigint
);
ALTER TABLE "Tenant C".customers OWNER TO ddl_tenant_owner;
COMMENT ON TABLE "Tenant C".customers IS 'customers of the tenant';
COMMENT ON COLUMN "Tenant C".customers.referrer IS 'self-referencing FK';
GRANT SELECT ON TABLE "Tenant C".customers TO ddl_reader;
GRANT SELECT(id) ON TABLE "Tenant C".customers TO ddl_app;
GRANT SELECT(name),UPDATE(name) ON TABLE "Tenant C".customers TO ddl_app;

--
-- Name: customer_count(min_id bigint); Type: FUNCTION; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE FUNCTION "Tenant C".customer_count(min_id bigint DEFAULT 0) RETURNS bigint
    LANGUAGE sql
    STABLE
BEGIN ATOMIC
 SELECT count(*) AS count
    FROM "Tenant C".customers c
   WHERE (c.id >= customer_count.min_id);
END;
ALTER FUNCTION "Tenant C".customer_count(min_id bigint) OWNER TO ddl_tenant_owner;

--
-- Name: invoice_no; Type: SEQUENCE; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE SEQUENCE "Tenant C".invoice_no
    AS bigint
    START WITH 100
    INCREMENT BY 2
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1;
ALTER SEQUENCE "Tenant C".invoice_no OWNER TO ddl_tenant_owner;
GRANT USAGE ON SEQUENCE "Tenant C".invoice_no TO ddl_app;

--
-- Name: orders; Type: TABLE; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE TABLE "Tenant C".orders (
    id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME "Tenant C".orders_id_seq
    START WITH 5
    INCREMENT BY 1
    MINVALUE 5
    MAXVALUE 500000
    CACHE 1
    CYCLE
),
    customer_id bigint NOT NULL,
    currency character(3) DEFAULT 'EUR'::bpchar NOT NULL,
    status "Tenant C".status DEFAULT 'new'::"Tenant C".status NOT NULL,
    qty "Tenant C".qty,
    price numeric(10,2) NOT NULL,
    total numeric(12,2) GENERATED ALWAYS AS (((qty)::numeric * price)) STORED,
    note text COLLATE shared.c_bytes,
    tags text[],
    extra "Tenant C".money_pair,
    CONSTRAINT orders_price_positive CHECK ((price > (0)::numeric))
);
ALTER TABLE "Tenant C".orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Tenant C".orders FORCE ROW LEVEL SECURITY;
ALTER TABLE "Tenant C".orders OWNER TO ddl_tenant_owner;
GRANT INSERT,SELECT,UPDATE ON TABLE "Tenant C".orders TO ddl_app;

--
-- Name: order_total(o "Tenant C".orders); Type: FUNCTION; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE FUNCTION "Tenant C".order_total(o "Tenant C".orders) RETURNS numeric
    LANGUAGE sql
    STABLE
    AS $$SELECT o.total$$;
ALTER FUNCTION "Tenant C".order_total(o "Tenant C".orders) OWNER TO ddl_tenant_owner;
COMMENT ON FUNCTION "Tenant C".order_total(o "Tenant C".orders) IS 'takes the table row type';
REVOKE EXECUTE ON FUNCTION "Tenant C".order_total(o "Tenant C".orders) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "Tenant C".order_total(o "Tenant C".orders) TO ddl_app;

--
-- Name: open_orders; Type: VIEW; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE VIEW "Tenant C".open_orders WITH (security_barrier=true) AS
 SELECT o.id,
    c.name,
    o.total,
    "Tenant C".order_total(o.*) AS recomputed
   FROM ("Tenant C".orders o
     JOIN "Tenant C".customers c ON ((c.id = o.customer_id)))
  WHERE (o.status <> 'shipped'::"Tenant C".status);
ALTER VIEW "Tenant C".open_orders OWNER TO ddl_tenant_owner;
GRANT SELECT ON TABLE "Tenant C".open_orders TO ddl_reader;

--
-- Name: line_items; Type: TABLE; Schema: reporting; Owner: postgres
--

CREATE TABLE reporting.line_items (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME reporting.line_items_id_seq
    START WITH 1
    INCREMENT BY 1
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1
),
    qty integer NOT NULL,
    price numeric(10,2) NOT NULL,
    total numeric(12,2) GENERATED ALWAYS AS (((qty)::numeric * price)) STORED,
    note text,
    active boolean DEFAULT true
);
ALTER TABLE reporting.line_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE reporting.line_items OWNER TO postgres;

--
-- Name: addresses; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.addresses OF shared.address (
    street WITH OPTIONS NOT NULL
);
ALTER TABLE shared.addresses OWNER TO postgres;

--
-- Name: am_table; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.am_table (
    a integer,
    b text
)
USING ddl_heap;
ALTER TABLE shared.am_table OWNER TO postgres;

--
-- Name: asset; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.asset (
    id integer NOT NULL,
    tag text DEFAULT 'x'::text,
    CONSTRAINT asset_id_pos CHECK ((id > 0))
);
ALTER TABLE shared.asset OWNER TO postgres;

--
-- Name: asset_boat; Type: TABLE; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE TABLE "Odd ""Schema"" ü".asset_boat (
    id integer NOT NULL,
    tag text,
    hull text,
    CONSTRAINT asset_id_pos CHECK ((id > 0))
)
INHERITS (shared.asset);
ALTER TABLE ONLY "Odd ""Schema"" ü".asset_boat ALTER COLUMN tag DROP DEFAULT;
ALTER TABLE "Odd ""Schema"" ü".asset_boat OWNER TO postgres;

--
-- Name: asset_car; Type: TABLE; Schema: reporting; Owner: postgres
--

CREATE TABLE reporting.asset_car (
    plate text,
    CONSTRAINT car_plate CHECK ((plate <> ''::text))
)
INHERITS (shared.asset);
ALTER TABLE ONLY reporting.asset_car ALTER COLUMN tag SET DEFAULT 'car'::text;
ALTER TABLE reporting.asset_car OWNER TO postgres;

--
-- Name: bookings; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.bookings (
    id integer NOT NULL GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME shared.bookings_id_seq
    START WITH 10
    INCREMENT BY 5
    MINVALUE 10
    MAXVALUE 100000
    CACHE 3
),
    during tsrange NOT NULL,
    doc tsvector
);
ALTER TABLE shared.bookings OWNER TO postgres;

--
-- Name: buckets; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.buckets (
    k integer NOT NULL,
    v text
)
PARTITION BY HASH (k);
ALTER TABLE shared.buckets OWNER TO postgres;

--
-- Name: buckets_0; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.buckets_0 (
    k integer NOT NULL,
    v text
);
ALTER TABLE shared.buckets_0 OWNER TO postgres;

--
-- Name: buckets_1; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.buckets_1 (
    k integer NOT NULL,
    v text
);
ALTER TABLE shared.buckets_1 OWNER TO postgres;

--
-- Name: buckets_3; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.buckets_3 (
    k integer NOT NULL,
    v text
);
ALTER TABLE shared.buckets_3 OWNER TO postgres;

--
-- Name: cache; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE UNLOGGED TABLE shared.cache (
    k text NOT NULL,
    v bytea
)
WITH (autovacuum_vacuum_threshold=100, toast.autovacuum_enabled=false);
ALTER TABLE ONLY shared.cache ALTER COLUMN v SET STORAGE MAIN;
ALTER TABLE shared.cache OWNER TO postgres;

--
-- Name: ci_names; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.ci_names (
    name text COLLATE shared.ci NOT NULL,
    de text COLLATE "Odd ""Schema"" ü"."de phonebook"
);
ALTER TABLE shared.ci_names OWNER TO postgres;

--
-- Name: currencies; Type: TABLE; Schema: shared; Owner: ddl_owner
--

CREATE TABLE shared.currencies (
    code character(3) NOT NULL,
    name character varying(40) COLLATE "C" NOT NULL,
    minor_units smallint DEFAULT 2 NOT NULL,
    symbol text,
    updated_at timestamp(3) with time zone DEFAULT now() NOT NULL,
    CONSTRAINT currencies_minor_units_check CHECK (((minor_units >= 0) AND (minor_units <= 4)))
)
WITH (fillfactor=80, autovacuum_enabled=false, autovacuum_vacuum_scale_factor=0.05);
ALTER TABLE ONLY shared.currencies ALTER COLUMN name SET STATISTICS 500;
ALTER TABLE ONLY shared.currencies ALTER COLUMN minor_units SET (n_distinct=5);
ALTER TABLE ONLY shared.currencies ALTER COLUMN symbol SET STORAGE EXTERNAL;
ALTER TABLE ONLY shared.currencies ALTER COLUMN symbol SET COMPRESSION pglz;
ALTER TABLE ONLY shared.currencies REPLICA IDENTITY FULL;
ALTER TABLE shared.currencies OWNER TO ddl_owner;
COMMENT ON TABLE shared.currencies IS 'ISO 4217 currencies';
COMMENT ON CONSTRAINT currencies_minor_units_check ON shared.currencies IS 'at most 4 decimals';
COMMENT ON COLUMN shared.currencies.code IS 'three-letter code';
GRANT SELECT ON TABLE shared.currencies TO PUBLIC;
GRANT INSERT,DELETE,UPDATE ON TABLE shared.currencies TO ddl_app WITH GRANT OPTION;
GRANT REFERENCES ON TABLE shared.currencies TO ddl_tenant_owner;
GRANT UPDATE(name) ON TABLE shared.currencies TO ddl_reader;
GRANT UPDATE(symbol) ON TABLE shared.currencies TO ddl_reader;

--
-- Name: all_currencies(); Type: FUNCTION; Schema: shared; Owner: ddl_owner
--

CREATE FUNCTION shared.all_currencies() RETURNS SETOF shared.currencies
    LANGUAGE sql
    STABLE
    COST 50
    ROWS 200
    AS $$SELECT * FROM shared.currencies$$;
ALTER FUNCTION shared.all_currencies() OWNER TO ddl_owner;

--
-- Name: currency_counts; Type: MATERIALIZED VIEW; Schema: reporting; Owner: ddl_owner
--

CREATE MATERIALIZED VIEW reporting.currency_counts WITH (fillfactor=50) AS
 SELECT currencies.minor_units,
    count(*) AS n
   FROM shared.currencies
  GROUP BY currencies.minor_units
  WITH NO DATA;
ALTER MATERIALIZED VIEW reporting.currency_counts OWNER TO ddl_owner;
COMMENT ON MATERIALIZED VIEW reporting.currency_counts IS 'materialized view';
GRANT SELECT ON TABLE reporting.currency_counts TO ddl_reader;

--
-- Name: currency_report; Type: VIEW; Schema: reporting; Owner: postgres
--

CREATE VIEW reporting.currency_report AS
 SELECT c.code,
    c.name,
    w."Col With Space" AS amount
   FROM (shared.currencies c
     JOIN "Odd ""Schema"" ü"."Weird ""Table"" Name" w ON ((w.currency = c.code)));
ALTER VIEW reporting.currency_report OWNER TO postgres;

--
-- Name: active_currencies; Type: VIEW; Schema: shared; Owner: ddl_owner
--

CREATE VIEW shared.active_currencies WITH (security_barrier=true) AS
 SELECT currencies.code,
    currencies.name,
    currencies.minor_units
   FROM shared.currencies
  WHERE (currencies.minor_units > 0);
ALTER VIEW shared.active_currencies OWNER TO ddl_owner;
COMMENT ON VIEW shared.active_currencies IS 'security barrier view';
COMMENT ON COLUMN shared.active_currencies.name IS 'view column comment';
GRANT SELECT ON TABLE shared.active_currencies TO ddl_reader;

--
-- Name: currencies system columns; Type: ACL; Schema: shared; Owner: -
--

GRANT SELECT(ctid) ON TABLE shared.currencies TO ddl_reader;

--
-- Name: currency_codes; Type: VIEW; Schema: shared; Owner: postgres
--

CREATE VIEW shared.currency_codes WITH (check_option=cascaded) AS
 SELECT active_currencies.code,
    active_currencies.minor_units
   FROM shared.active_currencies
  WHERE (active_currencies.code <> 'XXX'::bpchar);
ALTER VIEW shared.currency_codes ALTER COLUMN minor_units SET DEFAULT 2;
ALTER VIEW shared.currency_codes OWNER TO postgres;

--
-- Name: currency_log; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.currency_log (
    code character(3),
    at timestamp with time zone DEFAULT now()
);
ALTER TABLE shared.currency_log OWNER TO postgres;

--
-- Name: std_log(IN code character); Type: PROCEDURE; Schema: shared; Owner: postgres
--

CREATE PROCEDURE shared.std_log(IN code character)
    LANGUAGE sql
BEGIN ATOMIC
 INSERT INTO shared.currency_log (code)
   VALUES (std_log.code);
 SELECT shared.add(1) AS add;
END;
ALTER PROCEDURE shared.std_log(IN code character) OWNER TO postgres;

--
-- Name: currency_names; Type: VIEW; Schema: shared; Owner: postgres
--

CREATE VIEW shared.currency_names AS
 SELECT currencies.code,
    currencies.name
   FROM shared.currencies;
ALTER VIEW shared.currency_names OWNER TO postgres;

--
-- Name: big_currencies; Type: VIEW; Schema: reporting; Owner: postgres
--

CREATE VIEW reporting.big_currencies WITH (check_option=local) AS
 SELECT currency_names.code,
    currency_names.name
   FROM shared.currency_names
  WHERE ((currency_names.name)::text > 'M'::text);
ALTER VIEW reporting.big_currencies OWNER TO postgres;

--
-- Name: ddl_texts; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.ddl_texts (
    t shared.ddl_text NOT NULL,
    n integer
);
ALTER TABLE shared.ddl_texts OWNER TO postgres;

--
-- Name: events_id_seq; Type: SEQUENCE; Schema: shared; Owner: postgres
--

CREATE SEQUENCE shared.events_id_seq
    AS bigint
    START WITH 1
    INCREMENT BY 1
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1;
ALTER SEQUENCE shared.events_id_seq OWNER TO postgres;

--
-- Name: events; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.events (
    id bigint DEFAULT nextval('shared.events_id_seq'::regclass) NOT NULL,
    happened date NOT NULL,
    region text NOT NULL,
    currency character(3),
    payload jsonb
)
PARTITION BY RANGE (happened);
ALTER TABLE shared.events OWNER TO postgres;
COMMENT ON TABLE shared.events IS 'partitioned by range, then list';

--
-- Name: events_2024; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.events_2024 (
    id bigint DEFAULT nextval('shared.events_id_seq'::regclass) NOT NULL,
    happened date NOT NULL,
    region text NOT NULL,
    currency character(3),
    payload jsonb
)
PARTITION BY LIST (region);
ALTER TABLE shared.events_2024 OWNER TO postgres;

--
-- Name: events_2024_eu; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.events_2024_eu (
    id bigint DEFAULT nextval('shared.events_id_seq'::regclass) NOT NULL,
    happened date NOT NULL,
    region text NOT NULL,
    currency character(3),
    payload jsonb
);
ALTER TABLE shared.events_2024_eu OWNER TO postgres;

--
-- Name: events_2024_other; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.events_2024_other (
    id bigint DEFAULT nextval('shared.events_id_seq'::regclass) NOT NULL,
    happened date NOT NULL,
    region text NOT NULL,
    currency character(3),
    payload jsonb
);
ALTER TABLE shared.events_2024_other OWNER TO postgres;

--
-- Name: events_2025; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.events_2025 (
    id bigint DEFAULT nextval('shared.events_id_seq'::regclass) NOT NULL,
    happened date NOT NULL,
    region text NOT NULL,
    currency character(3),
    payload jsonb
)
WITH (fillfactor=70);
ALTER TABLE shared.events_2025 OWNER TO postgres;

--
-- Name: events_default; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.events_default (
    id bigint DEFAULT nextval('shared.events_id_seq'::regclass) NOT NULL,
    happened date NOT NULL,
    region text NOT NULL,
    currency character(3),
    payload jsonb
);
ALTER TABLE shared.events_default OWNER TO postgres;

--
-- Name: fk15_child; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.fk15_child (
    a integer,
    b integer
);
ALTER TABLE shared.fk15_child OWNER TO postgres;

--
-- Name: fk15_parent; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.fk15_parent (
    a integer NOT NULL,
    b integer NOT NULL
);
ALTER TABLE shared.fk15_parent OWNER TO postgres;

--
-- Name: inh_p1; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.inh_p1 (
    a integer NOT NULL,
    b text DEFAULT 'p1'::text,
    CONSTRAINT inh_p1_b_check CHECK ((b <> ''::text)),
    CONSTRAINT inh_p1_noinh CHECK ((a > 0)) NO INHERIT
);
ALTER TABLE shared.inh_p1 OWNER TO postgres;

--
-- Name: inh_p2; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.inh_p2 (
    a integer,
    c numeric,
    CONSTRAINT inh_p2_c_check CHECK ((c > (0)::numeric))
);
ALTER TABLE shared.inh_p2 OWNER TO postgres;

--
-- Name: inh_child; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.inh_child (
    a integer DEFAULT 5 NOT NULL,
    d date NOT NULL
)
INHERITS (shared.inh_p1, shared.inh_p2);
ALTER TABLE shared.inh_child OWNER TO postgres;
COMMENT ON TABLE shared.inh_child IS 'inherits from inh_p1 and inh_p2';

--
-- Name: invoker_view; Type: VIEW; Schema: shared; Owner: postgres
--

CREATE VIEW shared.invoker_view WITH (security_invoker=true, security_barrier=false) AS
 SELECT currencies.code
   FROM shared.currencies;
ALTER VIEW shared.invoker_view OWNER TO postgres;

--
-- Name: ledger; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.ledger (
    id integer NOT NULL,
    amount numeric DEFAULT 0 NOT NULL,
    booked date NOT NULL,
    note text,
    CONSTRAINT ledger_amount_sane CHECK ((amount > ('-1000000'::integer)::numeric))
)
PARTITION BY RANGE (booked);
ALTER TABLE shared.ledger OWNER TO postgres;
COMMENT ON CONSTRAINT ledger_amount_sane ON shared.ledger IS 'inherited by every partition';

--
-- Name: ledger_2025; Type: TABLE; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE TABLE "Odd ""Schema"" ü".ledger_2025 (
    booked date NOT NULL,
    id integer NOT NULL,
    amount numeric DEFAULT 0 NOT NULL,
    note text,
    CONSTRAINT ledger_2025_local CHECK ((id > 0)),
    CONSTRAINT ledger_amount_sane CHECK ((amount > ('-1000000'::integer)::numeric))
);
ALTER TABLE "Odd ""Schema"" ü".ledger_2025 OWNER TO postgres;

--
-- Name: ledger_2024; Type: TABLE; Schema: reporting; Owner: postgres
--

CREATE TABLE reporting.ledger_2024 (
    id integer NOT NULL,
    amount numeric DEFAULT 7 NOT NULL,
    booked date NOT NULL,
    note text,
    CONSTRAINT ledger_2024_amount_check CHECK ((amount >= (0)::numeric)),
    CONSTRAINT ledger_2024_note CHECK ((note <> ''::text)),
    CONSTRAINT ledger_amount_sane CHECK ((amount > ('-1000000'::integer)::numeric))
);
ALTER TABLE reporting.ledger_2024 OWNER TO postgres;
COMMENT ON TABLE reporting.ledger_2024 IS 'partition in another schema';

--
-- Name: loop_view; Type: VIEW; Schema: shared; Owner: postgres
--

CREATE VIEW shared.loop_view AS
 SELECT NULL::integer AS a;
ALTER VIEW shared.loop_view OWNER TO postgres;

--
-- Name: loop_fn(shared.loop_view); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.loop_fn(shared.loop_view) RETURNS integer
    LANGUAGE sql
    IMMUTABLE
    AS $$SELECT $1.a$$;
ALTER FUNCTION shared.loop_fn(shared.loop_view) OWNER TO postgres;

--
-- Name: loop_view; Type: VIEW; Schema: shared; Owner: -
--

CREATE OR REPLACE VIEW shared.loop_view AS
 SELECT 1 AS a
  WHERE (shared.loop_fn(NULL::shared.loop_view) IS NULL);

--
-- Name: nums; Type: VIEW; Schema: shared; Owner: postgres
--

CREATE VIEW shared.nums AS
 WITH RECURSIVE nums(n) AS (
         VALUES (1)
        UNION ALL
         SELECT (nums_1.n + 1)
           FROM nums nums_1
          WHERE (nums_1.n < 10)
        )
 SELECT nums.n
   FROM nums;
ALTER VIEW shared.nums OWNER TO postgres;

--
-- Name: empty_mv; Type: MATERIALIZED VIEW; Schema: reporting; Owner: postgres
--

CREATE MATERIALIZED VIEW reporting.empty_mv AS
 SELECT nums.n
   FROM shared.nums
  WITH NO DATA;
ALTER MATERIALIZED VIEW reporting.empty_mv OWNER TO postgres;

--
-- Name: pub15; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.pub15 (
    id integer NOT NULL,
    secret text,
    visible text,
    region text
);
ALTER TABLE shared.pub15 OWNER TO postgres;

--
-- Name: remote_items; Type: FOREIGN TABLE; Schema: shared; Owner: ddl_owner
--

CREATE FOREIGN TABLE shared.remote_items (
    id integer OPTIONS (column_name 'item_id') NOT NULL,
    label text COLLATE "C" DEFAULT 'none'::text,
    price numeric(8,2),
    CONSTRAINT remote_items_price_check CHECK ((price >= (0)::numeric))
)
SERVER ddl_srv
OPTIONS (schema_name 'inv', table_name 'items');
ALTER FOREIGN TABLE shared.remote_items OWNER TO ddl_owner;
COMMENT ON FOREIGN TABLE shared.remote_items IS 'foreign table';
GRANT SELECT ON TABLE shared.remote_items TO ddl_reader;

--
-- Name: rooms; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.rooms (
    room integer NOT NULL,
    during tsrange NOT NULL,
    guest ext.citext,
    attrs shared.hstore
);
ALTER TABLE shared.rooms OWNER TO postgres;

--
-- Name: rowcheck; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared.rowcheck (
    id integer NOT NULL,
    val integer
);
ALTER TABLE shared.rowcheck OWNER TO postgres;

--
-- Name: rowcheck_default(shared.rowcheck); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.rowcheck_default(shared.rowcheck) RETURNS integer
    LANGUAGE sql
    IMMUTABLE
    AS $$SELECT 7$$;
ALTER FUNCTION shared.rowcheck_default(shared.rowcheck) OWNER TO postgres;

--
-- Name: rowcheck_ok(shared.rowcheck); Type: FUNCTION; Schema: shared; Owner: postgres
--

CREATE FUNCTION shared.rowcheck_ok(shared.rowcheck) RETURNS boolean
    LANGUAGE sql
    IMMUTABLE
    AS $$SELECT $1.val IS NULL OR $1.val >= 0$$;
ALTER FUNCTION shared.rowcheck_ok(shared.rowcheck) OWNER TO postgres;

--
-- Name: select; Type: TABLE; Schema: shared; Owner: postgres
--

CREATE TABLE shared."select" (
    "user" text,
    "order" integer NOT NULL,
    "Mixed Case" numeric(10,2) DEFAULT 0.5,
    "quote""d" character varying(20) DEFAULT 'it''s'::character varying,
    "ünï cöde" text COLLATE "Odd ""Schema"" ü"."Posix Côll",
    "group" shared.mood DEFAULT 'it''s "odd"'::shared.mood,
    CONSTRAINT select_user_check CHECK (("user" <> 'root'::text)) NO INHERIT
);
ALTER TABLE ONLY shared."select" ALTER COLUMN "user" SET COMPRESSION lz4;
ALTER TABLE shared."select" OWNER TO postgres;
COMMENT ON COLUMN shared."select"."quote""d" IS 'column with a quote';

--
-- Name: small_seq; Type: SEQUENCE; Schema: shared; Owner: ddl_owner
--

CREATE SEQUENCE shared.small_seq
    AS smallint
    START WITH 999
    INCREMENT BY -3
    MINVALUE -1000
    MAXVALUE 1000
    CACHE 5
    CYCLE;
ALTER SEQUENCE shared.small_seq OWNER TO ddl_owner;
COMMENT ON SEQUENCE shared.small_seq IS 'descending smallint sequence';
GRANT USAGE ON SEQUENCE shared.small_seq TO ddl_app;
GRANT SELECT,UPDATE ON SEQUENCE shared.small_seq TO ddl_reader;

--
-- Name: audit_log; Type: TABLE; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE TABLE tenant_a.audit_log (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME tenant_a.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1
),
    at timestamp with time zone DEFAULT now(),
    what text NOT NULL
);
ALTER TABLE tenant_a.audit_log OWNER TO ddl_tenant_owner;
COMMENT ON TABLE tenant_a.audit_log IS 'nothing depends on this table';
GRANT INSERT ON TABLE tenant_a.audit_log TO ddl_app;

--
-- Name: customers; Type: TABLE; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE TABLE tenant_a.customers (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME tenant_a.customers_id_seq
    START WITH 1000
    INCREMENT BY 10
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 20
),
    email shared.email NOT NULL,
    name character varying(200) NOT NULL,
    home shared.address,
    mood shared.mood DEFAULT 'ok'::shared.mood,
    created timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP(3) NOT NULL,
    referrer bigint
);
ALTER TABLE tenant_a.customers OWNER TO ddl_tenant_owner;
COMMENT ON TABLE tenant_a.customers IS 'customers of the tenant';
COMMENT ON COLUMN tenant_a.customers.referrer IS 'self-referencing FK';
GRANT SELECT ON TABLE tenant_a.customers TO ddl_reader;
GRANT SELECT(id) ON TABLE tenant_a.customers TO ddl_app;
GRANT SELECT(name),UPDATE(name) ON TABLE tenant_a.customers TO ddl_app;

--
-- Name: customer_count(min_id bigint); Type: FUNCTION; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE FUNCTION tenant_a.customer_count(min_id bigint DEFAULT 0) RETURNS bigint
    LANGUAGE sql
    STABLE
BEGIN ATOMIC
 SELECT count(*) AS count
    FROM tenant_a.customers c
   WHERE (c.id >= customer_count.min_id);
END;
ALTER FUNCTION tenant_a.customer_count(min_id bigint) OWNER TO ddl_tenant_owner;

--
-- Name: invoice_no; Type: SEQUENCE; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE SEQUENCE tenant_a.invoice_no
    AS bigint
    START WITH 100
    INCREMENT BY 2
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1;
ALTER SEQUENCE tenant_a.invoice_no OWNER TO ddl_tenant_owner;
GRANT USAGE ON SEQUENCE tenant_a.invoice_no TO ddl_app;

--
-- Name: orders; Type: TABLE; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE TABLE tenant_a.orders (
    id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME tenant_a.orders_id_seq
    START WITH 5
    INCREMENT BY 1
    MINVALUE 5
    MAXVALUE 500000
    CACHE 1
    CYCLE
),
    customer_id bigint NOT NULL,
    currency character(3) DEFAULT 'EUR'::bpchar NOT NULL,
    status tenant_a.status DEFAULT 'new'::tenant_a.status NOT NULL,
    qty tenant_a.qty,
    price numeric(10,2) NOT NULL,
    total numeric(12,2) GENERATED ALWAYS AS (((qty)::numeric * price)) STORED,
    note text COLLATE shared.c_bytes,
    tags text[],
    extra tenant_a.money_pair,
    CONSTRAINT orders_price_positive CHECK ((price > (0)::numeric))
);
ALTER TABLE tenant_a.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_a.orders FORCE ROW LEVEL SECURITY;
ALTER TABLE tenant_a.orders OWNER TO ddl_tenant_owner;
GRANT INSERT,SELECT,UPDATE ON TABLE tenant_a.orders TO ddl_app;

--
-- Name: order_total(o tenant_a.orders); Type: FUNCTION; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE FUNCTION tenant_a.order_total(o tenant_a.orders) RETURNS numeric
    LANGUAGE sql
    STABLE
    AS $$SELECT o.total$$;
ALTER FUNCTION tenant_a.order_total(o tenant_a.orders) OWNER TO ddl_tenant_owner;
COMMENT ON FUNCTION tenant_a.order_total(o tenant_a.orders) IS 'takes the table row type';
REVOKE EXECUTE ON FUNCTION tenant_a.order_total(o tenant_a.orders) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_a.order_total(o tenant_a.orders) TO ddl_app;

--
-- Name: open_orders; Type: VIEW; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE VIEW tenant_a.open_orders WITH (security_barrier=true) AS
 SELECT o.id,
    c.name,
    o.total,
    tenant_a.order_total(o.*) AS recomputed
   FROM (tenant_a.orders o
     JOIN tenant_a.customers c ON ((c.id = o.customer_id)))
  WHERE (o.status <> 'shipped'::tenant_a.status);
ALTER VIEW tenant_a.open_orders OWNER TO ddl_tenant_owner;
GRANT SELECT ON TABLE tenant_a.open_orders TO ddl_reader;

--
-- Name: audit_log; Type: TABLE; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE TABLE tenant_b.audit_log (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME tenant_b.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1
),
    at timestamp with time zone DEFAULT now(),
    what text NOT NULL
);
ALTER TABLE tenant_b.audit_log OWNER TO ddl_tenant_owner;
COMMENT ON TABLE tenant_b.audit_log IS 'nothing depends on this table';
GRANT INSERT ON TABLE tenant_b.audit_log TO ddl_app;

--
-- Name: customers; Type: TABLE; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE TABLE tenant_b.customers (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME tenant_b.customers_id_seq
    START WITH 1000
    INCREMENT BY 10
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 20
),
    email shared.email NOT NULL,
    name character varying(200) NOT NULL,
    home shared.address,
    mood shared.mood DEFAULT 'ok'::shared.mood,
    created timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP(3) NOT NULL,
    referrer bigint,
    vip boolean DEFAULT false NOT NULL
);
ALTER TABLE tenant_b.customers OWNER TO ddl_tenant_owner;
COMMENT ON TABLE tenant_b.customers IS 'customers of the tenant';
COMMENT ON COLUMN tenant_b.customers.referrer IS 'self-referencing FK';
GRANT SELECT ON TABLE tenant_b.customers TO ddl_reader;
GRANT SELECT(id) ON TABLE tenant_b.customers TO ddl_app;
GRANT SELECT(name),UPDATE(name) ON TABLE tenant_b.customers TO ddl_app;

--
-- Name: customer_count(min_id bigint); Type: FUNCTION; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE FUNCTION tenant_b.customer_count(min_id bigint DEFAULT 0) RETURNS bigint
    LANGUAGE sql
    STABLE
BEGIN ATOMIC
 SELECT count(*) AS count
    FROM tenant_b.customers c
   WHERE (c.id >= customer_count.min_id);
END;
ALTER FUNCTION tenant_b.customer_count(min_id bigint) OWNER TO ddl_tenant_owner;

--
-- Name: invoice_no; Type: SEQUENCE; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE SEQUENCE tenant_b.invoice_no
    AS bigint
    START WITH 100
    INCREMENT BY 2
    MINVALUE 1
    MAXVALUE 9223372036854775807
    CACHE 1;
ALTER SEQUENCE tenant_b.invoice_no OWNER TO ddl_tenant_owner;
GRANT USAGE ON SEQUENCE tenant_b.invoice_no TO ddl_app;

--
-- Name: orders; Type: TABLE; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE TABLE tenant_b.orders (
    id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME tenant_b.orders_id_seq
    START WITH 5
    INCREMENT BY 1
    MINVALUE 5
    MAXVALUE 500000
    CACHE 1
    CYCLE
),
    customer_id bigint NOT NULL,
    currency character(3) DEFAULT 'EUR'::bpchar NOT NULL,
    status tenant_b.status DEFAULT 'new'::tenant_b.status NOT NULL,
    qty tenant_b.qty,
    price numeric(10,2) NOT NULL,
    total numeric(12,2) GENERATED ALWAYS AS (((qty)::numeric * price)) STORED,
    note text COLLATE shared.c_bytes,
    tags text[],
    extra tenant_b.money_pair,
    CONSTRAINT orders_price_positive CHECK ((price > (0)::numeric))
);
ALTER TABLE tenant_b.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_b.orders FORCE ROW LEVEL SECURITY;
ALTER TABLE tenant_b.orders OWNER TO ddl_tenant_owner;
GRANT INSERT,SELECT,UPDATE ON TABLE tenant_b.orders TO ddl_app;

--
-- Name: order_total(o tenant_b.orders); Type: FUNCTION; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE FUNCTION tenant_b.order_total(o tenant_b.orders) RETURNS numeric
    LANGUAGE sql
    STABLE
    AS $$SELECT o.total$$;
ALTER FUNCTION tenant_b.order_total(o tenant_b.orders) OWNER TO ddl_tenant_owner;
COMMENT ON FUNCTION tenant_b.order_total(o tenant_b.orders) IS 'takes the table row type';
REVOKE EXECUTE ON FUNCTION tenant_b.order_total(o tenant_b.orders) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_b.order_total(o tenant_b.orders) TO ddl_app;

--
-- Name: open_orders; Type: VIEW; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE VIEW tenant_b.open_orders WITH (security_barrier=true) AS
 SELECT o.id,
    c.name,
    o.total,
    tenant_b.order_total(o.*) AS recomputed
   FROM (tenant_b.orders o
     JOIN tenant_b.customers c ON ((c.id = o.customer_id)))
  WHERE (o.status <> 'shipped'::tenant_b.status);
ALTER VIEW tenant_b.open_orders OWNER TO ddl_tenant_owner;
GRANT SELECT ON TABLE tenant_b.open_orders TO ddl_reader;

--
-- Name: rowcheck rowcheck_valid; Type: CHECK CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE shared.rowcheck
    ADD CONSTRAINT rowcheck_valid CHECK (shared.rowcheck_ok(rowcheck.*));

--
-- Name: rowcheck val; Type: DEFAULT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.rowcheck ALTER COLUMN val SET DEFAULT shared.rowcheck_default(NULL::shared.rowcheck);

--
-- Name: ledger_2025; Type: TABLE ATTACH; Schema: Odd "Schema" ü; Owner: -
--

ALTER TABLE ONLY shared.ledger ATTACH PARTITION "Odd ""Schema"" ü".ledger_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');

--
-- Name: ledger_2024; Type: TABLE ATTACH; Schema: reporting; Owner: -
--

ALTER TABLE ONLY shared.ledger ATTACH PARTITION reporting.ledger_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

--
-- Name: buckets_0; Type: TABLE ATTACH; Schema: shared; Owner: -
--

ALTER TABLE ONLY shared.buckets ATTACH PARTITION shared.buckets_0 FOR VALUES WITH (modulus 2, remainder 0);

--
-- Name: buckets_1; Type: TABLE ATTACH; Schema: shared; Owner: -
--

ALTER TABLE ONLY shared.buckets ATTACH PARTITION shared.buckets_1 FOR VALUES WITH (modulus 4, remainder 1);

--
-- Name: buckets_3; Type: TABLE ATTACH; Schema: shared; Owner: -
--

ALTER TABLE ONLY shared.buckets ATTACH PARTITION shared.buckets_3 FOR VALUES WITH (modulus 4, remainder 3);

--
-- Name: events_2024; Type: TABLE ATTACH; Schema: shared; Owner: -
--

ALTER TABLE ONLY shared.events ATTACH PARTITION shared.events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

--
-- Name: events_2024_eu; Type: TABLE ATTACH; Schema: shared; Owner: -
--

ALTER TABLE ONLY shared.events_2024 ATTACH PARTITION shared.events_2024_eu FOR VALUES IN ('eu', 'uk');

--
-- Name: events_2024_other; Type: TABLE ATTACH; Schema: shared; Owner: -
--

ALTER TABLE ONLY shared.events_2024 ATTACH PARTITION shared.events_2024_other DEFAULT;

--
-- Name: events_2025; Type: TABLE ATTACH; Schema: shared; Owner: -
--

ALTER TABLE ONLY shared.events ATTACH PARTITION shared.events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');

--
-- Name: events_default; Type: TABLE ATTACH; Schema: shared; Owner: -
--

ALTER TABLE ONLY shared.events ATTACH PARTITION shared.events_default DEFAULT;

--
-- Name: events_id_seq; Type: SEQUENCE OWNED BY; Schema: shared; Owner: -
--

ALTER SEQUENCE shared.events_id_seq OWNED BY shared.events.id;

--
-- Name: 424242; Type: LARGE OBJECT; Schema: -; Owner: ddl_owner
--

SELECT pg_catalog.lo_create('424242');
ALTER LARGE OBJECT 424242 OWNER TO ddl_owner;
COMMENT ON LARGE OBJECT 424242 IS 'fixture large object';
GRANT SELECT ON LARGE OBJECT 424242 TO ddl_reader;

--
-- Name: 424243; Type: LARGE OBJECT; Schema: -; Owner: postgres
--

SELECT pg_catalog.lo_create('424243');
ALTER LARGE OBJECT 424243 OWNER TO postgres;
GRANT SELECT,UPDATE ON LARGE OBJECT 424243 TO ddl_app;

--
-- Name: Seq "Q" ñ; Type: SEQUENCE SET; Schema: Odd "Schema" ü; Owner: -
--

SELECT pg_catalog.setval('"Odd ""Schema"" ü"."Seq ""Q"" ñ"', 1234, true);

--
-- Name: events_id_seq; Type: SEQUENCE SET; Schema: shared; Owner: -
--

SELECT pg_catalog.setval('shared.events_id_seq', 5000, true);

--
-- Name: small_seq; Type: SEQUENCE SET; Schema: shared; Owner: -
--

SELECT pg_catalog.setval('shared.small_seq', 42, false);

--
-- Name: invoice_no; Type: SEQUENCE SET; Schema: tenant_a; Owner: -
--

SELECT pg_catalog.setval('tenant_a.invoice_no', 150, true);

--
-- Name: invoice_no; Type: SEQUENCE SET; Schema: tenant_b; Owner: -
--

SELECT pg_catalog.setval('tenant_b.invoice_no', 300, false);

--
-- Name: Weird "Table" Name Weird "Table" Name_pkey; Type: CONSTRAINT; Schema: Odd "Schema" ü; Owner: ddl Odd "Role" é
--

ALTER TABLE ONLY "Odd ""Schema"" ü"."Weird ""Table"" Name"
    ADD CONSTRAINT "Weird ""Table"" Name_pkey" PRIMARY KEY ("select");

--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: Tenant C; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY "Tenant C".audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);

--
-- Name: customers customers_email_key; Type: CONSTRAINT; Schema: Tenant C; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY "Tenant C".customers
    ADD CONSTRAINT customers_email_key UNIQUE (email);

--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: Tenant C; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY "Tenant C".customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);

--
-- Name: orders orders_note_len; Type: CHECK CONSTRAINT; Schema: Tenant C; Owner: ddl_tenant_owner
--

ALTER TABLE "Tenant C".orders
    ADD CONSTRAINT orders_note_len CHECK ((length(note) < 1000)) NOT VALID;

--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: Tenant C; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY "Tenant C".orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);

--
-- Name: line_items line_items_pkey; Type: CONSTRAINT; Schema: reporting; Owner: postgres
--

ALTER TABLE ONLY reporting.line_items
    ADD CONSTRAINT line_items_pkey PRIMARY KEY (id);

--
-- Name: addresses addresses_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.addresses
    ADD CONSTRAINT addresses_pkey PRIMARY KEY (street);

--
-- Name: bookings bookings_no_overlap; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.bookings
    ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&) DEFERRABLE;

--
-- Name: cache cache_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.cache
    ADD CONSTRAINT cache_pkey PRIMARY KEY (k);

--
-- Name: ci_names ci_names_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.ci_names
    ADD CONSTRAINT ci_names_pkey PRIMARY KEY (name);

--
-- Name: currencies currencies_pkey; Type: CONSTRAINT; Schema: shared; Owner: ddl_owner
--

ALTER TABLE ONLY shared.currencies
    ADD CONSTRAINT currencies_pkey PRIMARY KEY (code) WITH (fillfactor=90);
ALTER TABLE shared.currencies CLUSTER ON currencies_pkey;
COMMENT ON INDEX shared.currencies_pkey IS 'primary key index';

--
-- Name: ddl_texts ddl_texts_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.ddl_texts
    ADD CONSTRAINT ddl_texts_pkey PRIMARY KEY (t);

--
-- Name: email email_not_blank; Type: CONSTRAINT; Schema: shared; Owner: ddl_owner
--

ALTER DOMAIN shared.email
    ADD CONSTRAINT email_not_blank CHECK ((VALUE <> ''::text)) NOT VALID;

--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id, happened, region);

--
-- Name: events_2024 events_2024_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.events_2024
    ADD CONSTRAINT events_2024_pkey PRIMARY KEY (id, happened, region);

--
-- Name: events_2024_eu events_2024_eu_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.events_2024_eu
    ADD CONSTRAINT events_2024_eu_pkey PRIMARY KEY (id, happened, region);

--
-- Name: events_2024_other events_2024_other_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.events_2024_other
    ADD CONSTRAINT events_2024_other_pkey PRIMARY KEY (id, happened, region);

--
-- Name: events_2025 events_2025_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.events_2025
    ADD CONSTRAINT events_2025_pkey PRIMARY KEY (id, happened, region);

--
-- Name: events_default events_default_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.events_default
    ADD CONSTRAINT events_default_pkey PRIMARY KEY (id, happened, region);

--
-- Name: fk15_parent fk15_parent_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.fk15_parent
    ADD CONSTRAINT fk15_parent_pkey PRIMARY KEY (a, b);

--
-- Name: ledger ledger_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.ledger
    ADD CONSTRAINT ledger_pkey PRIMARY KEY (id, booked);

--
-- Name: ledger_2025 ledger_2025_pkey; Type: CONSTRAINT; Schema: Odd "Schema" ü; Owner: postgres
--

ALTER TABLE ONLY "Odd ""Schema"" ü".ledger_2025
    ADD CONSTRAINT ledger_2025_pkey PRIMARY KEY (id, booked);

--
-- Name: ledger_2024 ledger_2024_pkey; Type: CONSTRAINT; Schema: reporting; Owner: postgres
--

ALTER TABLE ONLY reporting.ledger_2024
    ADD CONSTRAINT ledger_2024_pkey PRIMARY KEY (id, booked);

--
-- Name: pub15 pub15_pkey; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.pub15
    ADD CONSTRAINT pub15_pkey PRIMARY KEY (id);

--
-- Name: rooms rooms_no_double_booking; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.rooms
    ADD CONSTRAINT rooms_no_double_booking EXCLUDE USING gist (room WITH =, during WITH &&);

--
-- Name: select select_order "pk"; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared."select"
    ADD CONSTRAINT "select_order ""pk""" PRIMARY KEY ("order");

--
-- Name: select select_user_nnd; Type: CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared."select"
    ADD CONSTRAINT select_user_nnd UNIQUE NULLS NOT DISTINCT ("user", "quote""d");

--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: tenant_a; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_a.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);

--
-- Name: customers customers_email_key; Type: CONSTRAINT; Schema: tenant_a; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_a.customers
    ADD CONSTRAINT customers_email_key UNIQUE (email);

--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: tenant_a; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_a.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);

--
-- Name: orders orders_note_len; Type: CHECK CONSTRAINT; Schema: tenant_a; Owner: ddl_tenant_owner
--

ALTER TABLE tenant_a.orders
    ADD CONSTRAINT orders_note_len CHECK ((length(note) < 1000)) NOT VALID;

--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: tenant_a; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_a.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);

--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: tenant_b; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_b.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);

--
-- Name: customers customers_email_key; Type: CONSTRAINT; Schema: tenant_b; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_b.customers
    ADD CONSTRAINT customers_email_key UNIQUE (email);

--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: tenant_b; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_b.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);

--
-- Name: orders orders_note_len; Type: CHECK CONSTRAINT; Schema: tenant_b; Owner: ddl_tenant_owner
--

ALTER TABLE tenant_b.orders
    ADD CONSTRAINT orders_note_len CHECK ((length(note) < 1000)) NOT VALID;

--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: tenant_b; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_b.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);

--
-- Name: customers_lower_name_idx; Type: INDEX; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE INDEX customers_lower_name_idx ON "Tenant C".customers USING btree (lower((name)::text) text_pattern_ops);

--
-- Name: orders_customer_idx; Type: INDEX; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE INDEX orders_customer_idx ON "Tenant C".orders USING btree (customer_id) INCLUDE (status);

--
-- Name: orders_open_idx; Type: INDEX; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE INDEX orders_open_idx ON "Tenant C".orders USING btree (id DESC) WHERE (status <> 'shipped'::"Tenant C".status);
COMMENT ON INDEX "Tenant C".orders_open_idx IS 'partial index';

--
-- Name: currency_counts_units_key; Type: INDEX; Schema: reporting; Owner: ddl_owner
--

CREATE UNIQUE INDEX currency_counts_units_key ON reporting.currency_counts USING btree (minor_units);

--
-- Name: line_items_active_idx; Type: INDEX; Schema: reporting; Owner: postgres
--

CREATE INDEX line_items_active_idx ON reporting.line_items USING btree (total) WHERE active;

--
-- Name: bookings_doc_gin; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX bookings_doc_gin ON shared.bookings USING gin (doc) WITH (fastupdate=off);

--
-- Name: bookings_doc_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX bookings_doc_idx ON shared.bookings USING gist (doc tsvector_ops (siglen='100'));

--
-- Name: buckets_v_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX buckets_v_idx ON ONLY shared.buckets USING btree (v);

--
-- Name: buckets_0_v_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX buckets_0_v_idx ON shared.buckets_0 USING btree (v);

--
-- Name: buckets_1_v_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX buckets_1_v_idx ON shared.buckets_1 USING btree (v);

--
-- Name: buckets_3_v_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX buckets_3_v_idx ON shared.buckets_3 USING btree (v);

--
-- Name: currencies_lower_name_key; Type: INDEX; Schema: shared; Owner: ddl_owner
--

CREATE UNIQUE INDEX currencies_lower_name_key ON shared.currencies USING btree (lower((name)::text) DESC NULLS LAST);

--
-- Name: currencies_symbol_idx; Type: INDEX; Schema: shared; Owner: ddl_owner
--

CREATE INDEX currencies_symbol_idx ON shared.currencies USING hash (symbol);

--
-- Name: currencies_symbol_nnd; Type: INDEX; Schema: shared; Owner: ddl_owner
--

CREATE UNIQUE INDEX currencies_symbol_nnd ON shared.currencies USING btree (symbol) NULLS NOT DISTINCT;

--
-- Name: currencies_updated_brin; Type: INDEX; Schema: shared; Owner: ddl_owner
--

CREATE INDEX currencies_updated_brin ON shared.currencies USING brin (updated_at) WITH (pages_per_range='32');

--
-- Name: ddl_texts_rev_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX ddl_texts_rev_idx ON shared.ddl_texts USING btree (n "Odd ""Schema"" ü"."rev int4 ops");

--
-- Name: events_region_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX events_region_idx ON ONLY shared.events USING btree (region, happened DESC);

--
-- Name: events_2024_region_happened_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX events_2024_region_happened_idx ON ONLY shared.events_2024 USING btree (region, happened DESC);

--
-- Name: events_2024_eu_region_happened_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX events_2024_eu_region_happened_idx ON shared.events_2024_eu USING btree (region, happened DESC);

--
-- Name: events_2024_other_region_happened_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX events_2024_other_region_happened_idx ON shared.events_2024_other USING btree (region, happened DESC);

--
-- Name: events_2025_region_happened_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX events_2025_region_happened_idx ON shared.events_2025 USING btree (region, happened DESC);

--
-- Name: events_default_region_happened_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX events_default_region_happened_idx ON shared.events_default USING btree (region, happened DESC);

--
-- Name: inh_child_d_key; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE UNIQUE INDEX inh_child_d_key ON shared.inh_child USING btree (d);
ALTER TABLE ONLY shared.inh_child REPLICA IDENTITY USING INDEX inh_child_d_key;

--
-- Name: ledger_note_idx; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX ledger_note_idx ON ONLY shared.ledger USING btree (note);

--
-- Name: ledger_2025_note; Type: INDEX; Schema: Odd "Schema" ü; Owner: postgres
--

CREATE INDEX ledger_2025_note ON "Odd ""Schema"" ü".ledger_2025 USING btree (note);

--
-- Name: ledger_2024_note_idx; Type: INDEX; Schema: reporting; Owner: postgres
--

CREATE INDEX ledger_2024_note_idx ON reporting.ledger_2024 USING btree (note);

--
-- Name: rooms_guest_gin; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX rooms_guest_gin ON shared.rooms USING gin (((guest)::text) ext.gin_trgm_ops);

--
-- Name: rooms_guest_trgm; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX rooms_guest_trgm ON shared.rooms USING gist (guest ext.gist_trgm_ops (siglen='32'));
COMMENT ON INDEX shared.rooms_guest_trgm IS 'opclass with options';

--
-- Name: select "idx" ü; Type: INDEX; Schema: shared; Owner: postgres
--

CREATE INDEX "select ""idx"" ü" ON shared."select" USING btree ("user" DESC, "Mixed Case") INCLUDE ("quote""d") WHERE ("order" > 0);

--
-- Name: customers_lower_name_idx; Type: INDEX; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE INDEX customers_lower_name_idx ON tenant_a.customers USING btree (lower((name)::text) text_pattern_ops);

--
-- Name: orders_customer_idx; Type: INDEX; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE INDEX orders_customer_idx ON tenant_a.orders USING btree (customer_id) INCLUDE (status);

--
-- Name: orders_open_idx; Type: INDEX; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE INDEX orders_open_idx ON tenant_a.orders USING btree (id DESC) WHERE (status <> 'shipped'::tenant_a.status);
COMMENT ON INDEX tenant_a.orders_open_idx IS 'partial index';

--
-- Name: customers_lower_name_idx; Type: INDEX; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE INDEX customers_lower_name_idx ON tenant_b.customers USING btree (lower((name)::text) text_pattern_ops);

--
-- Name: orders_customer_idx; Type: INDEX; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE INDEX orders_customer_idx ON tenant_b.orders USING btree (customer_id) INCLUDE (status);

--
-- Name: orders_open_idx; Type: INDEX; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE INDEX orders_open_idx ON tenant_b.orders USING btree (id DESC) WHERE (status <> 'shipped'::tenant_b.status);
COMMENT ON INDEX tenant_b.orders_open_idx IS 'partial index';

--
-- Name: ledger_2025_note; Type: INDEX ATTACH; Schema: Odd "Schema" ü; Owner: -
--

ALTER INDEX shared.ledger_note_idx ATTACH PARTITION "Odd ""Schema"" ü".ledger_2025_note;

--
-- Name: ledger_2025_pkey; Type: INDEX ATTACH; Schema: Odd "Schema" ü; Owner: -
--

ALTER INDEX shared.ledger_pkey ATTACH PARTITION "Odd ""Schema"" ü".ledger_2025_pkey;

--
-- Name: ledger_2024_note_idx; Type: INDEX ATTACH; Schema: reporting; Owner: -
--

ALTER INDEX shared.ledger_note_idx ATTACH PARTITION reporting.ledger_2024_note_idx;

--
-- Name: ledger_2024_pkey; Type: INDEX ATTACH; Schema: reporting; Owner: -
--

ALTER INDEX shared.ledger_pkey ATTACH PARTITION reporting.ledger_2024_pkey;

--
-- Name: buckets_0_v_idx; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.buckets_v_idx ATTACH PARTITION shared.buckets_0_v_idx;

--
-- Name: buckets_1_v_idx; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.buckets_v_idx ATTACH PARTITION shared.buckets_1_v_idx;

--
-- Name: buckets_3_v_idx; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.buckets_v_idx ATTACH PARTITION shared.buckets_3_v_idx;

--
-- Name: events_2024_eu_pkey; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_2024_pkey ATTACH PARTITION shared.events_2024_eu_pkey;

--
-- Name: events_2024_eu_region_happened_idx; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_2024_region_happened_idx ATTACH PARTITION shared.events_2024_eu_region_happened_idx;

--
-- Name: events_2024_other_pkey; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_2024_pkey ATTACH PARTITION shared.events_2024_other_pkey;

--
-- Name: events_2024_other_region_happened_idx; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_2024_region_happened_idx ATTACH PARTITION shared.events_2024_other_region_happened_idx;

--
-- Name: events_2024_pkey; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_pkey ATTACH PARTITION shared.events_2024_pkey;

--
-- Name: events_2024_region_happened_idx; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_region_idx ATTACH PARTITION shared.events_2024_region_happened_idx;

--
-- Name: events_2025_pkey; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_pkey ATTACH PARTITION shared.events_2025_pkey;

--
-- Name: events_2025_region_happened_idx; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_region_idx ATTACH PARTITION shared.events_2025_region_happened_idx;

--
-- Name: events_default_pkey; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_pkey ATTACH PARTITION shared.events_default_pkey;

--
-- Name: events_default_region_happened_idx; Type: INDEX ATTACH; Schema: shared; Owner: -
--

ALTER INDEX shared.events_region_idx ATTACH PARTITION shared.events_default_region_happened_idx;

--
-- Name: orders_stats; Type: STATISTICS; Schema: Tenant C; Owner: postgres
--

CREATE STATISTICS "Tenant C".orders_stats (dependencies) ON customer_id, status FROM "Tenant C".orders;
ALTER STATISTICS "Tenant C".orders_stats OWNER TO postgres;

--
-- Name: currencies_expr; Type: STATISTICS; Schema: shared; Owner: postgres
--

CREATE STATISTICS shared.currencies_expr ON lower(name::text), (minor_units * 2) FROM shared.currencies;
ALTER STATISTICS shared.currencies_expr OWNER TO postgres;

--
-- Name: currencies_mcv; Type: STATISTICS; Schema: shared; Owner: ddl_owner
--

CREATE STATISTICS shared.currencies_mcv (mcv) ON code, symbol FROM shared.currencies;
ALTER STATISTICS shared.currencies_mcv SET STATISTICS 500;
ALTER STATISTICS shared.currencies_mcv OWNER TO ddl_owner;

--
-- Name: currencies_nd; Type: STATISTICS; Schema: shared; Owner: postgres
--

CREATE STATISTICS shared.currencies_nd (ndistinct, dependencies) ON name, minor_units FROM shared.currencies;
ALTER STATISTICS shared.currencies_nd OWNER TO postgres;
COMMENT ON STATISTICS shared.currencies_nd IS 'extended statistics';

--
-- Name: orders_stats; Type: STATISTICS; Schema: tenant_a; Owner: postgres
--

CREATE STATISTICS tenant_a.orders_stats (dependencies) ON customer_id, status FROM tenant_a.orders;
ALTER STATISTICS tenant_a.orders_stats OWNER TO postgres;

--
-- Name: orders_stats; Type: STATISTICS; Schema: tenant_b; Owner: postgres
--

CREATE STATISTICS tenant_b.orders_stats (dependencies) ON customer_id, status FROM tenant_b.orders;
ALTER STATISTICS tenant_b.orders_stats OWNER TO postgres;

--
-- Name: currencies currencies_log_del; Type: RULE; Schema: shared; Owner: ddl_owner
--

CREATE RULE currencies_log_del AS
    ON DELETE TO shared.currencies DO  INSERT INTO shared.currency_log (code)
  VALUES (old.code);

--
-- Name: currencies currencies_log_upd; Type: RULE; Schema: shared; Owner: ddl_owner
--

CREATE RULE currencies_log_upd AS
    ON UPDATE TO shared.currencies
   WHERE new.code <> old.code DO  INSERT INTO shared.currency_log (code)
  VALUES (old.code);
ALTER TABLE shared.currencies DISABLE RULE currencies_log_upd;

--
-- Name: currency_names currency_names_del; Type: RULE; Schema: shared; Owner: postgres
--

CREATE RULE currency_names_del AS
    ON DELETE TO shared.currency_names DO INSTEAD NOTHING;

--
-- Name: currency_names currency_names_ins; Type: RULE; Schema: shared; Owner: postgres
--

CREATE RULE currency_names_ins AS
    ON INSERT TO shared.currency_names DO INSTEAD  INSERT INTO shared.currencies (code, name)
  VALUES (new.code, new.name);
COMMENT ON RULE currency_names_ins ON shared.currency_names IS 'rule on a view';

--
-- Name: audit_log audit_log_noop; Type: TRIGGER; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE TRIGGER audit_log_noop AFTER INSERT ON "Tenant C".audit_log FOR EACH STATEMENT EXECUTE FUNCTION shared.noop_trigger();

--
-- Name: orders orders_audit; Type: TRIGGER; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE TRIGGER orders_audit BEFORE INSERT OR UPDATE ON "Tenant C".orders FOR EACH ROW EXECUTE FUNCTION shared.audit_trigger();

--
-- Name: currencies currencies_always; Type: TRIGGER; Schema: shared; Owner: ddl_owner
--

CREATE TRIGGER currencies_always BEFORE TRUNCATE ON shared.currencies FOR EACH STATEMENT EXECUTE FUNCTION shared.noop_trigger();
ALTER TABLE shared.currencies ENABLE ALWAYS TRIGGER currencies_always;

--
-- Name: currencies currencies_deferred_check; Type: TRIGGER; Schema: shared; Owner: ddl_owner
--

CREATE CONSTRAINT TRIGGER currencies_deferred_check AFTER INSERT OR UPDATE ON shared.currencies DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION shared.noop_trigger();

--
-- Name: currencies currencies_disabled; Type: TRIGGER; Schema: shared; Owner: ddl_owner
--

CREATE TRIGGER currencies_disabled AFTER DELETE ON shared.currencies FOR EACH ROW EXECUTE FUNCTION shared.noop_trigger();
ALTER TABLE shared.currencies DISABLE TRIGGER currencies_disabled;

--
-- Name: currencies currencies_new_rows; Type: TRIGGER; Schema: shared; Owner: ddl_owner
--

CREATE TRIGGER currencies_new_rows AFTER INSERT ON shared.currencies REFERENCING NEW TABLE AS "new rows" FOR EACH STATEMENT EXECUTE FUNCTION shared.noop_trigger('arg one', 'it''s');

--
-- Name: currencies currencies_replica; Type: TRIGGER; Schema: shared; Owner: ddl_owner
--

CREATE TRIGGER currencies_replica AFTER UPDATE ON shared.currencies FOR EACH ROW EXECUTE FUNCTION shared.noop_trigger();
ALTER TABLE shared.currencies ENABLE REPLICA TRIGGER currencies_replica;

--
-- Name: currencies currencies_touch; Type: TRIGGER; Schema: shared; Owner: ddl_owner
--

CREATE TRIGGER currencies_touch BEFORE UPDATE OF name, minor_units ON shared.currencies FOR EACH ROW WHEN (old.* IS DISTINCT FROM new.*) EXECUTE FUNCTION shared.touch_row();
COMMENT ON TRIGGER currencies_touch ON shared.currencies IS 'keeps updated_at';

--
-- Name: events events_audit; Type: TRIGGER; Schema: shared; Owner: postgres
--

CREATE TRIGGER events_audit AFTER INSERT ON shared.events FOR EACH ROW EXECUTE FUNCTION shared.noop_trigger();

--
-- Name: ledger ledger_audit; Type: TRIGGER; Schema: shared; Owner: postgres
--

CREATE TRIGGER ledger_audit AFTER INSERT ON shared.ledger FOR EACH ROW EXECUTE FUNCTION shared.noop_trigger();

--
-- Name: ledger_2025 ledger_audit; Type: TRIGGER; Schema: Odd "Schema" ü; Owner: postgres
--

ALTER TABLE "Odd ""Schema"" ü".ledger_2025 ENABLE ALWAYS TRIGGER ledger_audit;

--
-- Name: ledger_2024 ledger_audit; Type: TRIGGER; Schema: reporting; Owner: postgres
--

ALTER TABLE reporting.ledger_2024 DISABLE TRIGGER ledger_audit;

--
-- Name: ledger ledger_replica; Type: TRIGGER; Schema: shared; Owner: postgres
--

CREATE TRIGGER ledger_replica AFTER UPDATE ON shared.ledger FOR EACH ROW EXECUTE FUNCTION shared.noop_trigger();

--
-- Name: ledger_2024 ledger_replica; Type: TRIGGER; Schema: reporting; Owner: postgres
--

ALTER TABLE reporting.ledger_2024 ENABLE REPLICA TRIGGER ledger_replica;

--
-- Name: audit_log audit_log_noop; Type: TRIGGER; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE TRIGGER audit_log_noop AFTER INSERT ON tenant_a.audit_log FOR EACH STATEMENT EXECUTE FUNCTION shared.noop_trigger();

--
-- Name: orders orders_audit; Type: TRIGGER; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE TRIGGER orders_audit BEFORE INSERT OR UPDATE ON tenant_a.orders FOR EACH ROW EXECUTE FUNCTION shared.audit_trigger();

--
-- Name: audit_log audit_log_noop; Type: TRIGGER; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE TRIGGER audit_log_noop AFTER INSERT ON tenant_b.audit_log FOR EACH STATEMENT EXECUTE FUNCTION shared.noop_trigger();

--
-- Name: orders orders_audit; Type: TRIGGER; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE TRIGGER orders_audit BEFORE INSERT OR UPDATE ON tenant_b.orders FOR EACH ROW EXECUTE FUNCTION shared.audit_trigger();

--
-- Name: Weird "Table" Name self "ref"; Type: FK CONSTRAINT; Schema: Odd "Schema" ü; Owner: ddl Odd "Role" é
--

ALTER TABLE ONLY "Odd ""Schema"" ü"."Weird ""Table"" Name"
    ADD CONSTRAINT "self ""ref""" FOREIGN KEY (parent) REFERENCES "Odd ""Schema"" ü"."Weird ""Table"" Name"("select") ON DELETE SET DEFAULT;

--
-- Name: Weird "Table" Name weird_currency_fk; Type: FK CONSTRAINT; Schema: Odd "Schema" ü; Owner: ddl Odd "Role" é
--

ALTER TABLE ONLY "Odd ""Schema"" ü"."Weird ""Table"" Name"
    ADD CONSTRAINT weird_currency_fk FOREIGN KEY (currency) REFERENCES shared.currencies(code) ON DELETE SET NULL DEFERRABLE;

--
-- Name: customers customers_referrer_fkey; Type: FK CONSTRAINT; Schema: Tenant C; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY "Tenant C".customers
    ADD CONSTRAINT customers_referrer_fkey FOREIGN KEY (referrer) REFERENCES "Tenant C".customers(id) ON DELETE SET NULL;

--
-- Name: orders orders_currency_fkey; Type: FK CONSTRAINT; Schema: Tenant C; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY "Tenant C".orders
    ADD CONSTRAINT orders_currency_fkey FOREIGN KEY (currency) REFERENCES shared.currencies(code) ON UPDATE CASCADE ON DELETE RESTRICT;

--
-- Name: orders orders_customer_fk; Type: FK CONSTRAINT; Schema: Tenant C; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY "Tenant C".orders
    ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES "Tenant C".customers(id) MATCH FULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
COMMENT ON CONSTRAINT orders_customer_fk ON "Tenant C".orders IS 'FK comment';

--
-- Name: events events_currency_fkey; Type: FK CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE shared.events
    ADD CONSTRAINT events_currency_fkey FOREIGN KEY (currency) REFERENCES shared.currencies(code) ON UPDATE CASCADE;

--
-- Name: fk15_child fk15; Type: FK CONSTRAINT; Schema: shared; Owner: postgres
--

ALTER TABLE ONLY shared.fk15_child
    ADD CONSTRAINT fk15 FOREIGN KEY (a, b) REFERENCES shared.fk15_parent(a, b) ON DELETE SET NULL (b);

--
-- Name: customers customers_referrer_fkey; Type: FK CONSTRAINT; Schema: tenant_a; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_a.customers
    ADD CONSTRAINT customers_referrer_fkey FOREIGN KEY (referrer) REFERENCES tenant_a.customers(id) ON DELETE SET NULL;

--
-- Name: orders orders_currency_fkey; Type: FK CONSTRAINT; Schema: tenant_a; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_a.orders
    ADD CONSTRAINT orders_currency_fkey FOREIGN KEY (currency) REFERENCES shared.currencies(code) ON UPDATE CASCADE ON DELETE RESTRICT;

--
-- Name: orders orders_customer_fk; Type: FK CONSTRAINT; Schema: tenant_a; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_a.orders
    ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES tenant_a.customers(id) MATCH FULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
COMMENT ON CONSTRAINT orders_customer_fk ON tenant_a.orders IS 'FK comment';

--
-- Name: customers customers_referrer_fkey; Type: FK CONSTRAINT; Schema: tenant_b; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_b.customers
    ADD CONSTRAINT customers_referrer_fkey FOREIGN KEY (referrer) REFERENCES tenant_b.customers(id) ON DELETE SET NULL;

--
-- Name: orders orders_currency_fkey; Type: FK CONSTRAINT; Schema: tenant_b; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_b.orders
    ADD CONSTRAINT orders_currency_fkey FOREIGN KEY (currency) REFERENCES shared.currencies(code) ON UPDATE CASCADE ON DELETE RESTRICT;

--
-- Name: orders orders_customer_fk; Type: FK CONSTRAINT; Schema: tenant_b; Owner: ddl_tenant_owner
--

ALTER TABLE ONLY tenant_b.orders
    ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES tenant_b.customers(id) MATCH FULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
COMMENT ON CONSTRAINT orders_customer_fk ON tenant_b.orders IS 'FK comment';

--
-- Name: orders orders_app; Type: POLICY; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE POLICY orders_app ON "Tenant C".orders FOR SELECT TO ddl_app USING ((status <> 'new'::"Tenant C".status));
COMMENT ON POLICY orders_app ON "Tenant C".orders IS 'app sees paid orders';

--
-- Name: orders orders_insert; Type: POLICY; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE POLICY orders_insert ON "Tenant C".orders FOR INSERT TO PUBLIC WITH CHECK ((qty IS NOT NULL));

--
-- Name: orders orders_limit; Type: POLICY; Schema: Tenant C; Owner: ddl_tenant_owner
--

CREATE POLICY orders_limit ON "Tenant C".orders AS RESTRICTIVE FOR ALL TO ddl_app, ddl_reader USING ((price < (100000)::numeric)) WITH CHECK ((price < (50000)::numeric));

--
-- Name: line_items line_items_read; Type: POLICY; Schema: reporting; Owner: postgres
--

CREATE POLICY line_items_read ON reporting.line_items FOR SELECT TO ddl_reader USING (active);
COMMENT ON POLICY line_items_read ON reporting.line_items IS 'readers see active rows';

--
-- Name: line_items line_items_restrict; Type: POLICY; Schema: reporting; Owner: postgres
--

CREATE POLICY line_items_restrict ON reporting.line_items AS RESTRICTIVE FOR ALL TO ddl_app, ddl_reader USING ((qty > 0)) WITH CHECK ((price < (100000)::numeric));

--
-- Name: orders orders_app; Type: POLICY; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE POLICY orders_app ON tenant_a.orders FOR SELECT TO ddl_app USING ((status <> 'new'::tenant_a.status));
COMMENT ON POLICY orders_app ON tenant_a.orders IS 'app sees paid orders';

--
-- Name: orders orders_insert; Type: POLICY; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE POLICY orders_insert ON tenant_a.orders FOR INSERT TO PUBLIC WITH CHECK ((qty IS NOT NULL));

--
-- Name: orders orders_limit; Type: POLICY; Schema: tenant_a; Owner: ddl_tenant_owner
--

CREATE POLICY orders_limit ON tenant_a.orders AS RESTRICTIVE FOR ALL TO ddl_app, ddl_reader USING ((price < (100000)::numeric)) WITH CHECK ((price < (50000)::numeric));

--
-- Name: orders orders_app; Type: POLICY; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE POLICY orders_app ON tenant_b.orders FOR SELECT TO ddl_app USING ((status <> 'new'::tenant_b.status));
COMMENT ON POLICY orders_app ON tenant_b.orders IS 'app sees paid orders';

--
-- Name: orders orders_insert; Type: POLICY; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE POLICY orders_insert ON tenant_b.orders FOR INSERT TO PUBLIC WITH CHECK ((qty IS NOT NULL));

--
-- Name: orders orders_limit; Type: POLICY; Schema: tenant_b; Owner: ddl_tenant_owner
--

CREATE POLICY orders_limit ON tenant_b.orders AS RESTRICTIVE FOR ALL TO ddl_app, ddl_reader USING ((price < (100000)::numeric)) WITH CHECK ((price < (50000)::numeric));

--
-- Name: ddl Pub "Empty"; Type: PUBLICATION; Schema: -; Owner: postgres
--

CREATE PUBLICATION "ddl Pub ""Empty""" WITH (publish = 'insert, update, delete, truncate');
ALTER PUBLICATION "ddl Pub ""Empty""" OWNER TO postgres;

--
-- Name: ddl_pub_15; Type: PUBLICATION; Schema: -; Owner: postgres
--

CREATE PUBLICATION ddl_pub_15 WITH (publish = 'insert, update, delete, truncate');
ALTER PUBLICATION ddl_pub_15 OWNER TO postgres;
COMMENT ON PUBLICATION ddl_pub_15 IS 'row filter, column list';

--
-- Name: ddl_pub_all; Type: PUBLICATION; Schema: -; Owner: postgres
--

CREATE PUBLICATION ddl_pub_all FOR ALL TABLES WITH (publish = 'insert');
ALTER PUBLICATION ddl_pub_all OWNER TO postgres;

--
-- Name: ddl_pub_schemas; Type: PUBLICATION; Schema: -; Owner: postgres
--

CREATE PUBLICATION ddl_pub_schemas WITH (publish = 'insert, update, delete, truncate');
ALTER PUBLICATION ddl_pub_schemas OWNER TO postgres;

--
-- Name: ddl_pub_some; Type: PUBLICATION; Schema: -; Owner: postgres
--

CREATE PUBLICATION ddl_pub_some WITH (publish = 'insert, update', publish_via_partition_root = true);
ALTER PUBLICATION ddl_pub_some OWNER TO postgres;
COMMENT ON PUBLICATION ddl_pub_some IS 'publication';

--
-- Name: ddl_pub_schemas "Odd ""Schema"" ü"; Type: PUBLICATION TABLES IN SCHEMA; Schema: -; Owner: -
--

ALTER PUBLICATION ddl_pub_schemas ADD TABLES IN SCHEMA "Odd ""Schema"" ü";

--
-- Name: ddl_pub_schemas reporting; Type: PUBLICATION TABLES IN SCHEMA; Schema: -; Owner: -
--

ALTER PUBLICATION ddl_pub_schemas ADD TABLES IN SCHEMA reporting;

--
-- Name: ddl_pub_15 bookings; Type: PUBLICATION TABLE; Schema: shared; Owner: -
--

ALTER PUBLICATION ddl_pub_15 ADD TABLE ONLY shared.bookings WHERE ((id > 100));

--
-- Name: ddl_pub_15 pub15; Type: PUBLICATION TABLE; Schema: shared; Owner: -
--

ALTER PUBLICATION ddl_pub_15 ADD TABLE ONLY shared.pub15 (id, visible) WHERE ((region <> 'hidden'::text));

--
-- Name: ddl_pub_schemas fk15_child; Type: PUBLICATION TABLE; Schema: shared; Owner: -
--

ALTER PUBLICATION ddl_pub_schemas ADD TABLE ONLY shared.fk15_child;

--
-- Name: ddl_pub_some currencies; Type: PUBLICATION TABLE; Schema: shared; Owner: -
--

ALTER PUBLICATION ddl_pub_some ADD TABLE ONLY shared.currencies;

--
-- Name: ddl_pub_some events; Type: PUBLICATION TABLE; Schema: shared; Owner: -
--

ALTER PUBLICATION ddl_pub_some ADD TABLE ONLY shared.events;

--
-- Name: ddl_pub_some inh_p1; Type: PUBLICATION TABLE; Schema: shared; Owner: -
--

ALTER PUBLICATION ddl_pub_some ADD TABLE ONLY shared.inh_p1;

--
-- Name: ddl Sub "odd"; Type: SUBSCRIPTION; Schema: -; Owner: postgres
--

CREATE SUBSCRIPTION "ddl Sub ""odd""" CONNECTION 'postgresql://ddl_repl@127.0.0.1:1/ddl_nowhere' PUBLICATION ddl_pub_all WITH (connect = false, slot_name = NONE, streaming = off);
ALTER SUBSCRIPTION "ddl Sub ""odd""" OWNER TO postgres;

--
-- Name: ddl_sub; Type: SUBSCRIPTION; Schema: -; Owner: ddl_super
--

CREATE SUBSCRIPTION ddl_sub CONNECTION 'host=127.0.0.1 port=1 dbname=ddl_nowhere user=ddl_repl password=sub-secret-42 connect_timeout=1' PUBLICATION ddl_pub_some, "ddl Pub ""Empty""" WITH (connect = false, slot_name = 'ddl_sub_slot', streaming = off, synchronous_commit = 'local');
ALTER SUBSCRIPTION ddl_sub OWNER TO ddl_super;
COMMENT ON SUBSCRIPTION ddl_sub IS 'subscription comment';

--
-- Name: ddl_sub15; Type: SUBSCRIPTION; Schema: -; Owner: postgres
--

CREATE SUBSCRIPTION ddl_sub15 CONNECTION 'host=127.0.0.1 port=1 dbname=ddl_nowhere' PUBLICATION ddl_pub_15 WITH (connect = false, slot_name = 'ddl_sub15_slot', binary = true, streaming = on, two_phase = on, disable_on_error = true);
ALTER SUBSCRIPTION ddl_sub15 OWNER TO postgres;

--
-- Name: ddl Drop Watch; Type: EVENT TRIGGER; Schema: -; Owner: postgres
--

CREATE EVENT TRIGGER "ddl Drop Watch" ON sql_drop
   EXECUTE FUNCTION shared.on_ddl();
ALTER EVENT TRIGGER "ddl Drop Watch" DISABLE;
ALTER EVENT TRIGGER "ddl Drop Watch" OWNER TO postgres;

--
-- Name: ddl_log; Type: EVENT TRIGGER; Schema: -; Owner: postgres
--

CREATE EVENT TRIGGER ddl_log ON ddl_command_end
         WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
   EXECUTE FUNCTION shared.on_ddl();
ALTER EVENT TRIGGER ddl_log OWNER TO postgres;
COMMENT ON EVENT TRIGGER ddl_log IS 'event trigger';

--
-- Name: ddl_replica_only; Type: EVENT TRIGGER; Schema: -; Owner: postgres
--

CREATE EVENT TRIGGER ddl_replica_only ON ddl_command_start
   EXECUTE FUNCTION shared.on_ddl();
ALTER EVENT TRIGGER ddl_replica_only ENABLE REPLICA;
ALTER EVENT TRIGGER ddl_replica_only OWNER TO postgres;

--
-- Name: currency_counts; Type: MATERIALIZED VIEW DATA; Schema: reporting; Owner: -
--

REFRESH MATERIALIZED VIEW reporting.currency_counts;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: -; Owner: ddl_owner
--

ALTER DEFAULT PRIVILEGES FOR ROLE ddl_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: -; Owner: ddl_owner
--

ALTER DEFAULT PRIVILEGES FOR ROLE ddl_owner GRANT SELECT ON TABLES TO ddl_reader;

--
-- Name: DEFAULT PRIVILEGES FOR TYPES; Type: DEFAULT ACL; Schema: -; Owner: ddl_owner
--

ALTER DEFAULT PRIVILEGES FOR ROLE ddl_owner GRANT USAGE ON TYPES TO ddl_app;

--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: Odd "Schema" ü; Owner: ddl Odd "Role" é
--

ALTER DEFAULT PRIVILEGES FOR ROLE "ddl Odd ""Role"" é" IN SCHEMA "Odd ""Schema"" ü" GRANT TRUNCATE,INSERT,DELETE,SELECT,TRIGGER,UPDATE,REFERENCES ON TABLES TO ddl_reader WITH GRANT OPTION;

--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: Tenant C; Owner: ddl_tenant_owner
--

ALTER DEFAULT PRIVILEGES FOR ROLE ddl_tenant_owner IN SCHEMA "Tenant C" GRANT INSERT,SELECT ON TABLES TO ddl_app;

--
-- Name: DEFAULT PRIVILEGES FOR SEQUENCES; Type: DEFAULT ACL; Schema: shared; Owner: ddl_owner
--

ALTER DEFAULT PRIVILEGES FOR ROLE ddl_owner IN SCHEMA shared GRANT USAGE ON SEQUENCES TO ddl_app;

--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: tenant_a; Owner: ddl_tenant_owner
--

ALTER DEFAULT PRIVILEGES FOR ROLE ddl_tenant_owner IN SCHEMA tenant_a GRANT INSERT,SELECT ON TABLES TO ddl_app;

--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: tenant_b; Owner: ddl_tenant_owner
--

ALTER DEFAULT PRIVILEGES FOR ROLE ddl_tenant_owner IN SCHEMA tenant_b GRANT INSERT,SELECT ON TABLES TO ddl_app;

--
-- dump complete
--
