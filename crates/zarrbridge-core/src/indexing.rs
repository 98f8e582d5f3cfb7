//! Selections beyond a box: orthogonal (per axis an integer, a slice with any step, integer
//! positions or a boolean mask, numpy's `np.ix_`) and vectorized (one position per dimension for
//! each point, numpy's integer-array indexing), resolved against an array's shape, and split by
//! the chunks they touch.
//!
//! A selection is split into *units* (stored chunks, or the inner chunks of shards): for each
//! unit touched, which elements of the unit go where in the result. Reading a unit then means
//! decoding it once and copying those elements ([`walk`]); writing one means decoding it,
//! copying the new values in and encoding it. Nothing here does I/O ([`crate::gather`] does).
//!
//! Positions along an axis are kept as *runs*: `len` consecutive result positions from `out`
//! taking unit positions `at`, `at + step`, ... A slice gives one run per unit it crosses, so a
//! strided selection of a huge array costs its result, never its bounding box; a list of
//! positions gives runs of neighbours. Element sizes come from the array's data type; nothing
//! assumes a particular one.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};

/// One item of an orthogonal selection, as numpy takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AxisItem {
    /// An integer (negative counts from the end); drops the dimension.
    Index(i64),
    /// A slice `start:stop:step` (each optional, Python semantics).
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// Integer positions (negative count from the end; repeats and any order allowed).
    Indices(Vec<i64>),
    /// A boolean mask as long as the dimension: the positions where it is true.
    Mask(Vec<bool>),
    /// `...`: as many full slices as needed.
    Ellipsis,
}

/// `len` consecutive result positions from `out` take the unit positions `at`, `at + step`,
/// ... along one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub out: u64,
    pub at: u64,
    pub len: u64,
    pub step: i64,
}

/// What one axis of an orthogonal selection picks.
#[derive(Debug, Clone)]
enum Axis {
    /// `count` positions from `start`, `step` apart (a slice; an integer is one position).
    Range { start: u64, step: i64, count: u64 },
    /// Positions one by one (in bounds; repeats and any order allowed).
    List(Vec<u64>),
}

impl Axis {
    fn len(&self) -> u64 {
        match self {
            Self::Range { count, .. } => *count,
            Self::List(positions) => positions.len() as u64,
        }
    }

    /// The runs of this axis in units of `size` along it, by unit index, ascending.
    fn runs(&self, size: u64) -> Vec<(u64, Arc<[Run]>)> {
        match self {
            Self::Range { start, step, count } => range_runs(*start, *step, *count, size),
            Self::List(positions) => list_runs(positions, size),
        }
    }
}

fn range_runs(start: u64, step: i64, count: u64, size: u64) -> Vec<(u64, Arc<[Run]>)> {
    let stride = step.unsigned_abs().max(1);
    let mut units = Vec::new();
    let mut j = 0;
    while j < count {
        let pos = if step >= 0 {
            start + j * stride
        } else {
            start - j * stride
        };
        let unit = pos / size;
        let at = pos - unit * size;
        let in_unit = if step >= 0 {
            (size - at - 1) / stride + 1
        } else {
            at / stride + 1
        };
        let len = in_unit.min(count - j);
        units.push((
            unit,
            Arc::from([Run {
                out: j,
                at,
                len,
                step,
            }]),
        ));
        j += len;
    }
    if step < 0 {
        units.reverse();
    }
    units
}

fn list_runs(positions: &[u64], size: u64) -> Vec<(u64, Arc<[Run]>)> {
    let mut order: Vec<(u64, u64)> = positions
        .iter()
        .enumerate()
        .map(|(j, &p)| (p / size, j as u64))
        .collect();
    // By unit, then by result position: a position written twice is written in the caller's
    // order, so the last value wins, as in numpy.
    order.sort_unstable();
    let mut units: Vec<(u64, Vec<Run>)> = Vec::new();
    for (unit, j) in order {
        let at = positions[usize::try_from(j).unwrap_or(usize::MAX)] - unit * size;
        if units.last().is_none_or(|(u, _)| *u != unit) {
            units.push((unit, Vec::new()));
        }
        let runs = &mut units.last_mut().expect("pushed above").1;
        if let Some(run) = runs.last_mut() {
            if j == run.out + run.len {
                let (at_i, last_i) = (to_i64(at), to_i64(run.at));
                if run.len == 1 {
                    run.step = at_i - last_i;
                    run.len = 2;
                    continue;
                }
                if at_i == last_i + to_i64(run.len) * run.step {
                    run.len += 1;
                    continue;
                }
            }
        }
        runs.push(Run {
            out: j,
            at,
            len: 1,
            step: 1,
        });
    }
    units
        .into_iter()
        .map(|(unit, runs)| (unit, Arc::from(runs)))
        .collect()
}

pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Python's `slice.indices` followed by the length computation: `(start, count, step)`.
pub(crate) fn resolve_slice(
    start: Option<i64>,
    end: Option<i64>,
    stride: Option<i64>,
    len: u64,
) -> Result<(u64, u64, i64)> {
    let step = stride.unwrap_or(1);
    if step == 0 {
        return Err(Error::Selection("slice step cannot be zero".into()));
    }
    let len = to_i64(len);
    let (lower, upper) = if step < 0 { (-1, len - 1) } else { (0, len) };
    let clamp = |v: Option<i64>, default: i64| match v {
        None => default,
        Some(v) if v < 0 => (v.saturating_add(len)).max(lower),
        Some(v) => v.min(upper),
    };
    let start = clamp(start, if step < 0 { upper } else { lower });
    let last = clamp(end, if step < 0 { lower } else { upper });
    let count = if step < 0 && last < start {
        (start - last - 1) / (-step) + 1
    } else if step > 0 && start < last {
        (last - start - 1) / step + 1
    } else {
        0
    };
    Ok((to_u64(start.max(0)), to_u64(count), step))
}

/// Which elements of one unit a selection picks, and where they go in the result.
#[derive(Debug, Clone)]
pub(crate) enum Picks {
    /// Per axis, the runs inside this unit (orthogonal selections).
    Runs(Vec<Arc<[Run]>>),
    /// `(result position, element offset in the unit)` per point, in the caller's order.
    Points(Vec<(u64, u64)>),
}

/// One unit (a chunk, or an inner chunk of a shard) a selection touches.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// The unit's coordinates in the grid of units.
    pub coords: Vec<u64>,
    /// What it gives to the result.
    pub picks: Picks,
}

impl Unit {
    /// Elements of the result this unit provides.
    pub(crate) fn elements(&self) -> u64 {
        match &self.picks {
            Picks::Runs(axes) => axes
                .iter()
                .map(|runs| runs.iter().map(|r| r.len).sum::<u64>())
                .product(),
            Picks::Points(points) => points.len() as u64,
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Orthogonal(Vec<Axis>),
    /// Per dimension, the position of every point.
    Points(Vec<Vec<u64>>),
}

/// A selection resolved against an array's shape.
#[derive(Debug, Clone)]
pub struct FancySelection {
    kind: Kind,
    array_shape: Vec<u64>,
    out_shape: Vec<u64>,
}

fn resolve_index(i: i64, len: u64, axis: usize) -> Result<u64> {
    let len_i = to_i64(len);
    let j = if i < 0 { i.saturating_add(len_i) } else { i };
    if j < 0 || j >= len_i {
        return Err(Error::Selection(format!(
            "index {i} is out of bounds for axis {axis} with size {len}"
        )));
    }
    Ok(u64::try_from(j).unwrap_or(0))
}

/// `items` with its Ellipsis (at most one) replaced by as many `filler`s as leave one item per
/// dimension, then `filler`s appended up to `ndim`: numpy's rule, for region and fancy
/// selections alike.
pub(crate) fn expand_ellipsis<'a, T: PartialEq>(
    items: &'a [T],
    ellipsis: &T,
    filler: &'a T,
    ndim: usize,
) -> Result<Vec<&'a T>> {
    let count = items.iter().filter(|i| *i == ellipsis).count();
    if count > 1 {
        return Err(Error::Selection(
            "a selection can only have one Ellipsis".into(),
        ));
    }
    let explicit = items.len() - count;
    if explicit > ndim {
        return Err(Error::Selection(format!(
            "too many indices: {explicit} given for a {ndim}-dimensional array"
        )));
    }
    let mut expanded = Vec::with_capacity(ndim);
    for item in items {
        if item == ellipsis {
            expanded.extend(std::iter::repeat_n(filler, ndim - explicit));
        } else {
            expanded.push(item);
        }
    }
    expanded.resize(ndim, filler);
    Ok(expanded)
}

fn resolve_indices(indices: &[i64], len: u64, axis: usize) -> Result<Vec<u64>> {
    indices
        .iter()
        .map(|&i| resolve_index(i, len, axis))
        .collect()
}

impl FancySelection {
    /// An orthogonal selection of an array of `shape`.
    ///
    /// # Errors
    /// [`Error::Selection`] for out-of-bounds positions, a mask of the wrong length, too many
    /// items, more than one Ellipsis or a zero step.
    pub fn orthogonal(items: &[AxisItem], shape: &[u64]) -> Result<Self> {
        let filler = AxisItem::Slice(None, None, None);
        let expanded = expand_ellipsis(items, &AxisItem::Ellipsis, &filler, shape.len())?;
        let mut axes = Vec::with_capacity(shape.len());
        let mut out_shape = Vec::with_capacity(shape.len());
        for (axis, (item, &len)) in expanded.into_iter().zip(shape).enumerate() {
            let resolved = match item {
                AxisItem::Index(i) => {
                    let start = resolve_index(*i, len, axis)?;
                    axes.push(Axis::Range {
                        start,
                        step: 1,
                        count: 1,
                    });
                    continue;
                }
                AxisItem::Slice(from, to, step) => {
                    let (start, count, step) = resolve_slice(*from, *to, *step, len)?;
                    Axis::Range { start, step, count }
                }
                AxisItem::Indices(indices) => Axis::List(resolve_indices(indices, len, axis)?),
                AxisItem::Mask(mask) => {
                    if mask.len() as u64 != len {
                        return Err(Error::Selection(format!(
                            "boolean index did not match indexed array along axis {axis}; \
                             size of axis is {len} but size of corresponding boolean axis is {}",
                            mask.len()
                        )));
                    }
                    Axis::List(
                        mask.iter()
                            .enumerate()
                            .filter(|(_, &b)| b)
                            .map(|(i, _)| i as u64)
                            .collect(),
                    )
                }
                AxisItem::Ellipsis => unreachable!("expanded above"),
            };
            out_shape.push(resolved.len());
            axes.push(resolved);
        }
        Ok(Self {
            kind: Kind::Orthogonal(axes),
            array_shape: shape.to_vec(),
            out_shape,
        })
    }

    /// A box with steps (basic indexing): per dimension `(start, step, count, kept)`, where a
    /// dimension not kept (an integer index) is dropped from the result's shape.
    pub(crate) fn stepped(dims: &[(u64, i64, u64, bool)], shape: &[u64]) -> Self {
        Self {
            kind: Kind::Orthogonal(
                dims.iter()
                    .map(|&(start, step, count, _)| Axis::Range { start, step, count })
                    .collect(),
            ),
            array_shape: shape.to_vec(),
            out_shape: dims
                .iter()
                .filter(|d| d.3)
                .map(|&(_, _, count, _)| count)
                .collect(),
        }
    }

    /// A vectorized selection of an array of `shape`: `coords` holds one position per point
    /// for each dimension, the points in C order of a result of `out_shape`.
    ///
    /// # Errors
    /// [`Error::Selection`] when there is not one list per dimension, the lists do not hold one
    /// position per point, or a position is out of bounds.
    pub fn vectorized(coords: &[Vec<i64>], out_shape: Vec<u64>, shape: &[u64]) -> Result<Self> {
        if coords.len() != shape.len() {
            return Err(Error::Selection(format!(
                "a vectorized selection needs one index array per dimension: {} given for a \
                 {}-dimensional array",
                coords.len(),
                shape.len()
            )));
        }
        let points = crate::ndcopy::element_count(&out_shape);
        let resolved = coords
            .iter()
            .zip(shape)
            .enumerate()
            .map(|(axis, (positions, &len))| {
                if positions.len() as u64 != points {
                    return Err(Error::Selection(format!(
                        "index array {axis} holds {} positions, the selection's shape {out_shape:?} \
                         has {points} points",
                        positions.len()
                    )));
                }
                resolve_indices(positions, len, axis)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            kind: Kind::Points(resolved),
            array_shape: shape.to_vec(),
            out_shape,
        })
    }

    /// The shape of the result.
    #[must_use]
    pub fn shape(&self) -> &[u64] {
        &self.out_shape
    }

    /// The shape of the array it was resolved against.
    #[must_use]
    pub fn array_shape(&self) -> &[u64] {
        &self.array_shape
    }

    /// Whether it selects nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.out_shape.contains(&0)
            || match &self.kind {
                Kind::Orthogonal(axes) => axes.iter().any(|a| a.len() == 0),
                Kind::Points(coords) => coords.first().is_some_and(Vec::is_empty),
            }
    }

    /// The shape the result has while units are copied into it: every dimension of the array
    /// for an orthogonal selection (integer indices have length 1), one for the points.
    fn walk_shape(&self) -> Vec<u64> {
        match &self.kind {
            Kind::Orthogonal(axes) => axes.iter().map(Axis::len).collect(),
            Kind::Points(_) => vec![crate::ndcopy::element_count(&self.out_shape)],
        }
    }

    /// The units of shape `unit` (a regular grid from the origin) the selection touches, in C
    /// order of their coordinates.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the grid has too many units to number.
    pub(crate) fn units(&self, unit: &[u64]) -> Result<Vec<Unit>> {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        match &self.kind {
            Kind::Orthogonal(axes) => {
                let per_axis: Vec<Vec<(u64, Arc<[Run]>)>> = axes
                    .iter()
                    .zip(unit)
                    .map(|(axis, &size)| axis.runs(size))
                    .collect();
                let mut units = Vec::new();
                let mut index = vec![0usize; per_axis.len()];
                loop {
                    units.push(Unit {
                        coords: index
                            .iter()
                            .zip(&per_axis)
                            .map(|(&i, runs)| runs[i].0)
                            .collect(),
                        picks: Picks::Runs(
                            index
                                .iter()
                                .zip(&per_axis)
                                .map(|(&i, runs)| runs[i].1.clone())
                                .collect(),
                        ),
                    });
                    // Advance like an odometer, the last axis fastest.
                    let mut d = per_axis.len();
                    loop {
                        if d == 0 {
                            return Ok(units);
                        }
                        d -= 1;
                        index[d] += 1;
                        if index[d] < per_axis[d].len() {
                            break;
                        }
                        index[d] = 0;
                    }
                }
            }
            Kind::Points(coords) => point_units(coords, unit, &self.array_shape),
        }
    }

    /// Bytes of the result for elements of `elem` bytes.
    pub(crate) fn result_bytes(&self, elem: usize) -> u64 {
        crate::ndcopy::element_count(&self.out_shape).saturating_mul(elem as u64)
    }

    /// C-order strides (in elements) of the result while units are copied into it.
    pub(crate) fn walk_strides(&self) -> Vec<u64> {
        strides(&self.walk_shape())
    }
}

fn point_units(coords: &[Vec<u64>], unit: &[u64], shape: &[u64]) -> Result<Vec<Unit>> {
    let too_many = || Error::Unsupported("a grid of more than 2^128 chunks".into());
    let grid: Vec<u128> = shape
        .iter()
        .zip(unit)
        .map(|(&n, &u)| u128::from(n.div_ceil(u)))
        .collect();
    let unit_strides = strides(unit);
    let points = coords.first().map_or(1, Vec::len);
    // Points go to their unit in the caller's order (a point written twice is written in
    // that order), one hash look-up each: sorting them by unit instead made a read of 20,000
    // points in 6 chunks take 1.59 ms instead of 1.08 (`benches/fancy.py`, vindex-clustered).
    let mut index: HashMap<u128, usize> = HashMap::new();
    let mut units: Vec<(u128, Unit)> = Vec::new();
    for p in 0..points {
        let mut id: u128 = 0;
        for (d, positions) in coords.iter().enumerate() {
            id = id
                .checked_mul(grid[d])
                .and_then(|id| id.checked_add(u128::from(positions[p] / unit[d])))
                .ok_or_else(too_many)?;
        }
        let slot = *index.entry(id).or_insert_with(|| {
            units.push((
                id,
                Unit {
                    coords: coords.iter().zip(unit).map(|(c, &u)| c[p] / u).collect(),
                    picks: Picks::Points(Vec::new()),
                },
            ));
            units.len() - 1
        });
        let offset: u64 = coords
            .iter()
            .zip(unit)
            .zip(&unit_strides)
            .map(|((c, &u), &s)| (c[p] % u) * s)
            .sum();
        if let Picks::Points(picked) = &mut units[slot].1.picks {
            picked.push((p as u64, offset));
        }
    }
    units.sort_unstable_by_key(|(id, _)| *id);
    Ok(units.into_iter().map(|(_, unit)| unit).collect())
}

/// C-order strides in elements of an array of `shape`.
pub(crate) fn strides(shape: &[u64]) -> Vec<u64> {
    let mut out = vec![1u64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        out[d] = out[d + 1] * shape[d + 1];
    }
    out
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Call `copy(result_byte, unit_byte, len)` for every stretch of bytes `picks` moves between
/// the result (C order, strides `out_strides`) and a unit of strides `unit_strides` (C order,
/// elements of `elem` bytes). Contiguous stretches of the last dimension come as one call;
/// a position picked twice comes twice, in the caller's order.
pub(crate) fn walk(
    picks: &Picks,
    unit_strides: &[u64],
    out_strides: &[u64],
    elem: usize,
    copy: &mut impl FnMut(usize, usize, usize),
) {
    match picks {
        Picks::Points(points) => {
            for &(out, at) in points {
                copy(to_usize(out) * elem, to_usize(at) * elem, elem);
            }
        }
        Picks::Runs(axes) if axes.is_empty() => copy(0, 0, elem),
        Picks::Runs(axes) => walk_runs(axes, 0, 0, 0, unit_strides, out_strides, elem, copy),
    }
}

#[allow(clippy::too_many_arguments)]
fn walk_runs(
    axes: &[Arc<[Run]>],
    d: usize,
    out_at: u64,
    unit_at: u64,
    unit_strides: &[u64],
    out_strides: &[u64],
    elem: usize,
    copy: &mut impl FnMut(usize, usize, usize),
) {
    let last = d + 1 == axes.len();
    let (os, us) = (out_strides[d], unit_strides[d]);
    for run in axes[d].iter() {
        if last && run.step == 1 {
            copy(
                to_usize(out_at + run.out * os) * elem,
                to_usize(unit_at + run.at * us) * elem,
                to_usize(run.len) * elem,
            );
            continue;
        }
        for i in 0..run.len {
            let at = u64::try_from(to_i64(run.at) + to_i64(i) * run.step).unwrap_or(0);
            let (o, u) = (out_at + (run.out + i) * os, unit_at + at * us);
            if last {
                copy(to_usize(o) * elem, to_usize(u) * elem, elem);
            } else {
                walk_runs(axes, d + 1, o, u, unit_strides, out_strides, elem, copy);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{list_runs, range_runs, strides, walk, AxisItem, FancySelection, Picks, Run};

    fn run(out: u64, at: u64, len: u64, step: i64) -> Run {
        Run { out, at, len, step }
    }

    #[test]
    fn slices_give_one_run_per_unit_they_cross() {
        // 0, 3, 6, 9, 12 in units of 5: [0, 3] | [6, 9] | [12]
        let units = range_runs(0, 3, 5, 5);
        let flat: Vec<_> = units.iter().map(|(u, r)| (*u, r[0])).collect();
        assert_eq!(
            flat,
            vec![
                (0, run(0, 0, 2, 3)),
                (1, run(2, 1, 2, 3)),
                (2, run(4, 2, 1, 3))
            ]
        );
        // 9, 7, 5, 3, 1 (step -2) in units of 4: unit 2 [9], unit 1 [7, 5], unit 0 [3, 1];
        // units come out in ascending order.
        let units = range_runs(9, -2, 5, 4);
        let flat: Vec<_> = units.iter().map(|(u, r)| (*u, r[0])).collect();
        assert_eq!(
            flat,
            vec![
                (0, run(3, 3, 2, -2)),
                (1, run(1, 3, 2, -2)),
                (2, run(0, 1, 1, -2))
            ]
        );
    }

    #[test]
    fn lists_group_by_unit_keeping_the_callers_order_of_repeats() {
        let units = list_runs(&[7, 1, 2, 3, 7, 0, 9], 5);
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].0, 0);
        assert_eq!(&*units[0].1, &[run(1, 1, 3, 1), run(5, 0, 1, 1)]);
        assert_eq!(units[1].0, 1);
        // 7 at result 0, 7 again at 4 and 9 at 6: not neighbours in the result.
        assert_eq!(
            &*units[1].1,
            &[run(0, 2, 1, 1), run(4, 2, 1, 1), run(6, 4, 1, 1)]
        );
    }

    fn gather(sel: &FancySelection, array: &[u32], shape: &[u64], unit: &[u64]) -> Vec<u32> {
        let mut out = vec![u32::MAX; usize::try_from(sel.shape().iter().product::<u64>()).unwrap()];
        let out_strides = sel.walk_strides();
        let (unit_strides, array_strides) = (strides(unit), strides(shape));
        for u in sel.units(unit).unwrap() {
            let mut copy = |o: usize, at: usize, len: usize| {
                for k in 0..len / 4 {
                    // The unit position back to an array position.
                    let mut rest = (at / 4 + k) as u64;
                    let mut flat = 0u64;
                    for d in 0..shape.len() {
                        let p = u.coords[d] * unit[d] + rest / unit_strides[d];
                        rest %= unit_strides[d];
                        flat += p * array_strides[d];
                    }
                    out[o / 4 + k] = array[usize::try_from(flat).unwrap()];
                }
            };
            walk(&u.picks, &unit_strides, &out_strides, 4, &mut copy);
        }
        out
    }

    #[test]
    fn orthogonal_and_vectorized_selections_match_numpy() {
        let shape = [5u64, 7];
        let array: Vec<u32> = (0..35).collect();
        let sel = FancySelection::orthogonal(
            &[
                AxisItem::Indices(vec![4, -5, 4]),
                AxisItem::Slice(None, None, Some(-3)),
            ],
            &shape,
        )
        .unwrap();
        assert_eq!(sel.shape(), &[3, 3]);
        // numpy: np.arange(35).reshape(5, 7)[np.ix_([4, 0, 4], [6, 3, 0])]
        assert_eq!(
            gather(&sel, &array, &shape, &[2, 3]),
            [34, 31, 28, 6, 3, 0, 34, 31, 28]
        );
        let masked = FancySelection::orthogonal(
            &[
                AxisItem::Index(-1),
                AxisItem::Mask(vec![true, false, false, true, false, false, true]),
            ],
            &shape,
        )
        .unwrap();
        assert_eq!(masked.shape(), &[3]);
        assert_eq!(gather(&masked, &array, &shape, &[3, 3]), [28, 31, 34]);
        let points =
            FancySelection::vectorized(&[vec![4, 0, 2, 4], vec![6, 0, 3, -1]], vec![2, 2], &shape)
                .unwrap();
        assert_eq!(gather(&points, &array, &shape, &[2, 2]), [34, 0, 17, 34]);
    }

    #[test]
    fn bad_selections_are_errors() {
        let shape = [5u64];
        assert!(FancySelection::orthogonal(&[AxisItem::Indices(vec![5])], &shape).is_err());
        assert!(FancySelection::orthogonal(&[AxisItem::Indices(vec![-6])], &shape).is_err());
        assert!(FancySelection::orthogonal(&[AxisItem::Mask(vec![true; 4])], &shape).is_err());
        assert!(FancySelection::vectorized(&[vec![0], vec![0]], vec![1], &shape).is_err());
        assert!(FancySelection::vectorized(&[vec![0, 1]], vec![3], &shape).is_err());
        let none = FancySelection::orthogonal(&[AxisItem::Indices(vec![])], &shape).unwrap();
        assert!(none.units(&[2]).unwrap().is_empty());
        let scalar = FancySelection::orthogonal(&[], &[]).unwrap();
        let units = scalar.units(&[]).unwrap();
        assert_eq!(units.len(), 1);
        assert!(matches!(&units[0].picks, Picks::Runs(axes) if axes.is_empty()));
    }
}
