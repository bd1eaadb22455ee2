{{ config(materialized='table') }}
-- int_households: one row per customer_id: the household it belongs to (household_id = the
-- smallest customer_id in it) and how many customers share it. Spouses, parents and
-- children share a phone, an address, pay each other, and appear as one person under
-- several customer ids; a phone changed to a household member's number, or money paid to
-- one, is ordinary family life, not diversion (int_phone_edits, int_outflows).
--
-- Links, from what the data holds (address and id_hash are optional, contract v1.1):
--   * the same id_hash (one person, several customer ids);
--   * the same address, normalised (case, spaces and punctuation ignored);
--   * the same phone number as the customers' own: the number on file unless a manager's
--     edit put it there, and every number an edit replaced. A number a manager edited *in*
--     is what we judge, so it never makes a household by itself;
--   * a payment from one customer to a counterparty bearing another customer's name, when
--     both customers are in one manager's book (names alone collide too often).
-- A key shared by more than $household_max_size customers is no household (a branch's
-- address used as a placeholder, a company switchboard) and links nobody.
-- Connected components by label propagation: households are small (a link path of a few
-- steps), so four rounds of "take the smallest label among my links" settle them. Each round
-- reads the one before once (a customer links to itself): Spark does not keep a CTE's rows,
-- and two reads a round recomputed the first round 16 times.
with customers as (
    select * from {{ source('warehouse', 'stg_customers') }}
),

phone_edits as (
    select * from {{ source('warehouse', 'stg_field_changes') }} where field = 'phone'
),

-- numbers each customer held on their own (not put there by a manager's edit)
own_numbers as (
    select c.customer_id, c.phone as number
    from customers c
    where c.phone is not null
      and not exists (select 1 from phone_edits e
                      where e.customer_id = c.customer_id and e.new_value = c.phone
                        and e.changed_by <> 'system')
    union
    select customer_id, old_value from phone_edits where old_value is not null
),

keys as (
    select customer_id, 'id:' || id_hash as k from customers where id_hash is not null
    union all
    select customer_id,
           'addr:' || {{ without_spaces_and_punctuation('lower(address)') }}
    from customers
    where address is not null and length({{ without_spaces_and_punctuation('address') }}) >= 4
    union all
    select customer_id, 'tel:' || number from own_numbers
),

small_keys as (
    select k from keys
    group by k
    having count(distinct customer_id) between 2 and {{ p('household_max_size') }}::integer
),

-- payments to a counterparty named like another customer of the same book: joined on
-- (name, manager), never on the name alone (common names match thousands)
named_in_book as (
    select a.manager_id, c.customer_name, c.customer_id
    from {{ source('warehouse', 'stg_assignments') }} a
    join customers c using (customer_id)
    where c.customer_name is not null
),

named_payments as (
    select distinct t.customer_id as a, n.customer_id as b
    from {{ source('warehouse', 'stg_transfers') }} t
    join {{ source('warehouse', 'stg_assignments') }} a on a.customer_id = t.customer_id
    join named_in_book n on n.manager_id = a.manager_id and n.customer_name = t.counterparty_name
    where t.direction = 'out' and n.customer_id <> t.customer_id
),

edges as (
    select k1.customer_id as a, k2.customer_id as b
    from keys k1
    join keys k2 on k1.k = k2.k and k1.customer_id <> k2.customer_id
    where k1.k in (select k from small_keys)
    union
    select a, b from named_payments
    union
    select b, a from named_payments
),

-- each customer's links, itself included
links as (
    select customer_id as a, customer_id as b from customers
    union all
    select e.a, e.b from edges e join customers c on c.customer_id = e.a
),

round_1 as (
    select a as customer_id, min(b) as label from links group by a
),

round_2 as (
    select l.a as customer_id, min(r.label) as label
    from links l join round_1 r on r.customer_id = l.b
    group by l.a
),

round_3 as (
    select l.a as customer_id, min(r.label) as label
    from links l join round_2 r on r.customer_id = l.b
    group by l.a
),

round_4 as (
    select l.a as customer_id, min(r.label) as label
    from links l join round_3 r on r.customer_id = l.b
    group by l.a
),

final as (
    select
        customer_id,
        label as household_id,
        count(*) over (partition by label) as household_size
    from round_4
)

select * from final
