//! The tour's data: lessons written in assets/tour.md (`## Title`, the body, a `Goal:` and a `Hint:`
//! line), where the user is, and progress kept in the state directory. When a lesson counts as done
//! is a rule of `update` (app/update/tour.rs).

const TOUR: &str = include_str!("../../assets/tour.md");

/// One lesson of the tour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    pub title: String,
    pub body: String,
    pub goal: String,
    pub hint: String,
}

#[derive(Default)]
pub struct TourState {
    pub lessons: Vec<Lesson>,
    pub step: usize,
    pub show_hint: bool,
    /// Which lessons the user has done, detected from what they did in the views.
    pub completed: Vec<bool>,
}

pub fn lessons() -> Vec<Lesson> {
    parse(TOUR)
}

pub fn parse(text: &str) -> Vec<Lesson> {
    let mut lessons = Vec::new();
    for section in text.split("\n## ").map(|s| s.trim_start_matches("## ")) {
        let mut lines = section.lines();
        let Some(title) = lines.next().map(str::trim).filter(|t| !t.is_empty()) else {
            continue;
        };
        let mut body = Vec::new();
        let (mut hint, mut goal) = (String::new(), String::new());
        for line in lines {
            if let Some(h) = line.strip_prefix("Hint:") {
                hint = h.trim().to_string();
            } else if let Some(g) = line.strip_prefix("Goal:") {
                goal = g.trim().to_string();
            } else {
                body.push(line);
            }
        }
        lessons.push(Lesson {
            title: title.to_string(),
            body: body.join("\n").trim().to_string(),
            goal,
            hint,
        });
    }
    lessons
}

/// Progress as saved in the state directory.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    pub completed: Vec<bool>,
    pub step: usize,
}

impl Progress {
    /// A missing or unreadable file is a fresh start.
    pub fn load(path: &std::path::Path) -> Self {
        crate::fsutil::read_json(path).unwrap_or_default()
    }

    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        crate::fsutil::write_json(path, self)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn six_lessons_with_goals_and_hints() {
        let lessons = super::lessons();
        assert_eq!(lessons.len(), 6);
        assert!(lessons
            .iter()
            .all(|l| !l.hint.is_empty() && !l.body.is_empty() && !l.goal.is_empty()));
    }
}
